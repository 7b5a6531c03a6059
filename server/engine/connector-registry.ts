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

  /**
   * Connects every connector with its (already validated) configuration, except those `notConfigured`
   * names (with the variables they need): no client, token cache or rate limiter is built for them.
   * The start refuses a recipe that uses one, so a run never reaches one.
   */
  connect(configs: Record<string, unknown>, deps: Omit<ConnectorDeps, 'connection'>, notConfigured: Readonly<Record<string, readonly string[]>> = {}): ConnectedConnectors {
    const connections = new Map<string, unknown>();
    // Connections may use each other (approval → email); lookups happen at call time, after all exist.
    const withLookup: ConnectorDeps = {
      ...deps,
      connection: <T>(name: string) => {
        if (Object.hasOwn(notConfigured, name)) throw new Error(notConfiguredMessage(name, notConfigured[name]!));
        if (!connections.has(name)) throw new Error(`no connector named ${name} is connected`);
        return connections.get(name) as T;
      },
    };
    for (const d of this.#byName.values()) {
      if (!Object.hasOwn(notConfigured, d.name)) connections.set(d.name, d.connect(configs[d.name] as never, withLookup));
    }
    return new ConnectedConnectors(this, connections, notConfigured);
  }
}

export class ConnectedConnectors {
  constructor(
    readonly catalog: ConnectorCatalog,
    readonly connections: ReadonlyMap<string, unknown>,
    readonly notConfigured: Readonly<Record<string, readonly string[]>> = {},
  ) {}

  resolve(qualified: string): ResolvedAction {
    const definition = this.catalog.actionDefinition(qualified);
    if (!definition) throw new RecipeError(`unknown action ${qualified}`);
    const connector = splitName(qualified)[0];
    // Unreachable after the start's check; said plainly should a recipe ever get past it.
    if (Object.hasOwn(this.notConfigured, connector)) throw new RecipeError(`${qualified}: ${notConfiguredMessage(connector, this.notConfigured[connector]!)}`);
    return { name: qualified, definition, connection: this.connections.get(connector) };
  }
}

function notConfiguredMessage(connector: string, variables: readonly string[]): string {
  return `the ${connector} connector is not configured (set ${variables.join(', ')})`;
}

function splitName(qualified: string): [string, string] {
  const dot = qualified.indexOf('.');
  return dot < 0 ? [qualified, ''] : [qualified.slice(0, dot), qualified.slice(dot + 1)];
}
