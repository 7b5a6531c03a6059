import type { ActionDefinition, ConnectorDefinition, ConnectorDeps, EventDefinition } from '../../connectors/kit/define-connector.ts';
import { RecipeError } from './errors.ts';

/** An action ready to run: its definition and the live connection of its connector. */
export interface ResolvedAction {
  name: string;
  definition: ActionDefinition;
  connection: unknown;
}

/**
 * The connectors a runtime knows. Definitions alone serve validation (`partnerflow validate` needs no
 * credentials); `connect` turns them into live connections with validated configuration.
 */
export class ConnectorCatalog {
  readonly #byName = new Map<string, ConnectorDefinition>();

  constructor(definitions: readonly ConnectorDefinition[]) {
    for (const d of definitions) {
      if (this.#byName.has(d.name)) throw new Error(`two connectors are named ${d.name}`);
      this.#byName.set(d.name, d);
    }
  }

  definitions(): ConnectorDefinition[] {
    return [...this.#byName.values()];
  }

  /** `prm.get_mdf_request` → the action's definition, or undefined. */
  actionDefinition(qualified: string): ActionDefinition | undefined {
    const [connector, action] = splitName(qualified);
    return this.#byName.get(connector)?.actions[action];
  }

  /** `prm.mdf_request.submitted` → the event's definition, or undefined. */
  eventDefinition(qualified: string): EventDefinition | undefined {
    const [connector, event] = splitName(qualified);
    return this.#byName.get(connector)?.events?.[event];
  }

  connector(name: string): ConnectorDefinition | undefined {
    return this.#byName.get(name);
  }

  /** Connects every connector with its (already validated) configuration. */
  connect(configs: Record<string, unknown>, deps: Omit<ConnectorDeps, 'connection'>): ConnectedConnectors {
    const connections = new Map<string, unknown>();
    // Connections may use each other (approval → email); lookups happen at call time, after all exist.
    const withLookup: ConnectorDeps = {
      ...deps,
      connection: <T>(name: string) => {
        if (!connections.has(name)) throw new Error(`no connector named ${name} is connected`);
        return connections.get(name) as T;
      },
    };
    for (const d of this.#byName.values()) connections.set(d.name, d.connect(configs[d.name] as never, withLookup));
    return new ConnectedConnectors(this, connections);
  }
}

export class ConnectedConnectors {
  constructor(
    readonly catalog: ConnectorCatalog,
    readonly connections: ReadonlyMap<string, unknown>,
  ) {}

  resolve(qualified: string): ResolvedAction {
    const definition = this.catalog.actionDefinition(qualified);
    if (!definition) throw new RecipeError(`unknown action ${qualified}`);
    return { name: qualified, definition, connection: this.connections.get(splitName(qualified)[0]) };
  }
}

function splitName(qualified: string): [string, string] {
  const dot = qualified.indexOf('.');
  return dot < 0 ? [qualified, ''] : [qualified.slice(0, dot), qualified.slice(dot + 1)];
}
