import type { Recipe } from '../../schemas/recipe.ts';
import { formatPath } from '../../schemas/format-issues.ts';
import { webhookSecretVariable, type RuntimeConfig } from '../config.ts';
import type { ConnectorCatalog } from '../engine/connector-registry.ts';
import type { RecipeProblem } from './recipe-problem.ts';
import { walkSteps } from './walk-steps.ts';

/** One place a recipe needs a connector: its JSON path, and whether events reach it by webhook. */
interface ConnectorUse {
  path: (string | number)[];
  connector: string;
  /** The action that calls this connector through its own (approval.request → email). */
  through?: string;
  webhook: boolean;
}

/**
 * A recipe may only use connectors this runtime has configured: outside mock mode a connector none of
 * whose variables is set is not connected (server/config.ts), and the webhooks of a source without
 * WEBHOOK_SECRET_<SOURCE> are refused. One problem per connector a recipe needs and lacks, at its first
 * use, naming every variable to set, e.g. `steps[2].action uses marketo, which is not configured: set
 * MARKETO_BASE_URL, MARKETO_CLIENT_ID, MARKETO_CLIENT_SECRET`. The start refuses the recipes with these.
 */
export function checkConfiguredConnectors(recipe: Recipe, file: string, catalog: ConnectorCatalog, config: Pick<RuntimeConfig, 'notConfigured' | 'webhookSecrets'>): RecipeProblem[] {
  const needs = new Map<string, { first: ConnectorUse; variables: Set<string> }>();
  for (const use of connectorUses(recipe, catalog)) {
    // An optional source (web forms) may stay off: its recipes load, and its webhooks answer 404 until the secret is set.
    const secretMissing = use.webhook && !Object.hasOwn(config.webhookSecrets, use.connector) && !catalog.connector(use.connector)?.webhooksOptional;
    const missing = [...(config.notConfigured[use.connector] ?? []), ...(secretMissing ? [webhookSecretVariable(use.connector)] : [])];
    if (missing.length === 0) continue;
    const need = needs.get(use.connector) ?? { first: use, variables: new Set<string>() };
    for (const variable of missing) need.variables.add(variable);
    needs.set(use.connector, need);
  }
  // The path leads the sentence (no colon after it): "steps[2].action uses marketo, which …".
  return [...needs.values()].map(({ first, variables }) => ({ file, path: '', message: `${formatPath(first.path)} ${describeNeed(first, config, [...variables], catalog)}` }));
}

function describeNeed(use: ConnectorUse, config: Pick<RuntimeConfig, 'notConfigured'>, variables: string[], catalog: ConnectorCatalog): string {
  const set = `set ${variables.join(', ')}`;
  if (!Object.hasOwn(config.notConfigured, use.connector)) return `listens to ${use.connector} webhooks, whose secret is not set: ${set}`;
  const through = use.through ? ` (${use.through} calls it)` : '';
  const otherwise = catalog.connector(use.connector)?.otherwiseConfigured;
  return `uses ${use.connector}${through}, which is not configured: ${set}${otherwise ? ` (or ${otherwise})` : ''}`;
}

/**
 * Every use of a connector in a recipe, in reading order: the trigger (its events or poll action),
 * `cancel_on`, then every step (actions, with the connectors those call, and `wait_for` events),
 * nested ones and `on_error` included. Names the pack does not know are left to the recipe checks.
 */
function* connectorUses(recipe: Recipe, catalog: ConnectorCatalog): Generator<ConnectorUse> {
  const event = (name: string, path: (string | number)[]): ConnectorUse[] => [{ path, connector: prefix(name), webhook: true }];
  const action = (name: string, path: (string | number)[]): ConnectorUse[] => [
    { path, connector: prefix(name), webhook: false },
    ...(catalog.actionDefinition(name)?.uses ?? []).map((connector) => ({ path, connector, through: name, webhook: false })),
  ];
  const { trigger } = recipe;
  if (trigger.type === 'webhook') yield* event(trigger.event, ['trigger', 'event']);
  if (trigger.type === 'timer') {
    if (typeof trigger.record === 'string') yield* event(trigger.record, ['trigger', 'record']);
    else for (const [i, name] of trigger.record.entries()) yield* event(name, ['trigger', 'record', i]);
    for (const [i, stop] of (trigger.stop_on ?? []).entries()) yield* event(stop.event, ['trigger', 'stop_on', i, 'event']);
  }
  if (trigger.type === 'poll') yield* action(trigger.action, ['trigger', 'action']);
  if (recipe.cancel_on) yield* event(recipe.cancel_on.event, ['cancel_on', 'event']);
  for (const { step, path } of walkSteps(recipe)) {
    if (step.type === 'action') yield* action(step.action, [...path, 'action']);
    if (step.type === 'wait_for' && step.event) yield* event(step.event.name, [...path, 'event', 'name']);
  }
}

/** `marketo` of `marketo.upsert_leads`. */
function prefix(qualified: string): string {
  const dot = qualified.indexOf('.');
  return dot < 0 ? qualified : qualified.slice(0, dot);
}
