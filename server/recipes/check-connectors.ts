import type { ActionDefinition, ActionInputContext } from '../../connectors/kit/define-connector.ts';
import type { Recipe } from '../../schemas/recipe.ts';
import type { ConnectorCatalog } from '../engine/connector-registry.ts';
import { checkActionInput } from './check-action-input.ts';
import { checkPollAction } from './check-poll-action.ts';
import { didYouMean } from './closest-name.ts';
import type { Finding } from './recipe-problem.ts';
import { walkSteps } from './walk-steps.ts';

/**
 * Everything a recipe names in the connector pack must exist: trigger events and poll actions, the
 * `cancel_on` event, `wait_for` events and every action step's action, whose input mapping is then
 * checked against the action's schema and the action's own `checkInput` (e.g. that a template
 * exists and its step's data gives the names it reads; `valuesAt` says what the recipe's `set` steps
 * and tables give an expression there). Needs only connector definitions and settings, never credentials.
 */
export function checkConnectors(recipe: Recipe, catalog: ConnectorCatalog, connectorConfigs?: Record<string, unknown>, valuesAt?: ActionInputContext['valuesAt']): Finding[] {
  const names = knownNames(catalog);
  const context = inputContext(connectorConfigs, valuesAt);
  const input = (definition: ActionDefinition, name: string, value: unknown, path: PropertyKey[], step?: { id: string }): Finding[] => [
    ...checkActionInput(value, definition.input, name, path),
    ...(definition.checkInput?.(value, context, step) ?? []).map((problem) => ({
      path: [...path, ...problem.path],
      message: problem.message + (problem.unknownName ? didYouMean(problem.unknownName.name, problem.unknownName.known) : ''),
    })),
  ];
  const findings: Finding[] = [];
  const event = (name: string, path: PropertyKey[], mustCorrelate?: string) => {
    const definition = catalog.eventDefinition(name);
    if (!definition) findings.push({ path, message: unknownName('event', name, names.events, names.connectors) });
    // Without a correlation key the runtime cannot tell which run an event is about.
    else if (mustCorrelate && !definition.correlate) findings.push({ path, message: `${name} carries no correlation key, so it can never ${mustCorrelate}` });
  };
  const action = (name: string, path: PropertyKey[]) => {
    const definition = catalog.actionDefinition(name);
    if (!definition) findings.push({ path, message: unknownName('action', name, names.actions, names.connectors) });
    return definition;
  };

  const { trigger } = recipe;
  if (trigger.type === 'webhook') event(trigger.event, ['trigger', 'event']);
  if (trigger.type === 'timer') {
    // A timer recomputes from its record events and is stopped by events carrying the record's key.
    if (typeof trigger.record === 'string') event(trigger.record, ['trigger', 'record']);
    else trigger.record.forEach((name, i) => event(name, ['trigger', 'record', i]));
    trigger.stop_on?.forEach((stop, i) => event(stop.event, ['trigger', 'stop_on', i, 'event'], 'stop a timer'));
  }
  if (trigger.type === 'poll') {
    const definition = action(trigger.action, ['trigger', 'action']);
    if (definition) findings.push(...checkPollAction(trigger.action, definition, trigger.input), ...input(definition, trigger.action, trigger.input ?? {}, ['trigger', 'input']));
  }
  if (recipe.cancel_on) event(recipe.cancel_on.event, ['cancel_on', 'event'], 'cancel a run');

  for (const { step, path } of walkSteps(recipe)) {
    if (step.type === 'action') {
      const definition = action(step.action, [...path, 'action']);
      // The interpreter maps a missing input as {}, so the schema sees the same here.
      if (definition) findings.push(...input(definition, step.action, step.input ?? {}, [...path, 'input'], { id: step.id }));
    }
    if (step.type === 'wait_for' && step.event) event(step.event.name, [...path, 'event', 'name'], 'end this wait');
  }
  return findings;
}

/** Without settings (a caller that has none), checks that need them find nothing to check against. */
function inputContext(given: Record<string, unknown> | undefined, valuesAt: ActionInputContext['valuesAt']): ActionInputContext {
  return { config: (connectorName) => given?.[connectorName], ...(valuesAt && { valuesAt }) };
}

function knownNames(catalog: ConnectorCatalog) {
  const definitions = catalog.definitions();
  return {
    connectors: definitions.map((d) => d.name).sort(),
    actions: definitions.flatMap((d) => Object.keys(d.actions).map((a) => `${d.name}.${a}`)),
    events: definitions.flatMap((d) => Object.keys(d.events ?? {}).map((e) => `${d.name}.${e}`)),
  };
}

/** Names the closest known name, or the known connectors when the prefix itself is unknown. */
function unknownName(kind: 'action' | 'event', name: string, known: string[], connectors: string[]): string {
  const dot = name.indexOf('.');
  const connector = dot < 0 ? name : name.slice(0, dot);
  if (!connectors.includes(connector)) {
    return `unknown connector "${connector}" in ${kind} "${name}"${didYouMean(connector, connectors)}; connectors: ${connectors.join(', ')}`;
  }
  const hint = didYouMean(name, known);
  const ofConnector = known.filter((k) => k.startsWith(`${connector}.`));
  const list = ofConnector.length > 0 ? `; ${connector} has: ${ofConnector.map((k) => k.slice(connector.length + 1)).join(', ')}` : `; ${connector} has no ${kind}s`;
  return `unknown ${kind} "${name}"${hint || list}`;
}
