import { formatPath } from '../../schemas/format-issues.ts';
import type { Recipe } from '../../schemas/recipe.ts';
import type { ConnectorCatalog } from '../engine/connector-registry.ts';
import { isExpression } from '../engine/expression.ts';
import { closestName } from './closest-name.ts';
import type { Finding } from './recipe-problem.ts';
import { walkSteps } from './walk-steps.ts';

/** A step that names a signal: an action that sends it, or a `wait_for` that waits for it. */
interface SignalUse {
  stepId: string;
  /** The step's path. */
  path: (string | number)[];
  /** Where the signal's name is written: the wait's `signal`, the action's signal input field. */
  at: (string | number)[];
  signal: string;
  /** The sending action's qualified name; absent for a wait. */
  action?: string;
}

/**
 * A signal only ever reaches the run whose step sent it (an approval link is bound to its run and
 * signal), so within one recipe every `wait_for` signal needs a step that sends it, and every sent
 * signal a `wait_for` that takes it. Otherwise a typo in either name passes and costs a decision: the
 * approver is told it was recorded, and the wait times out. The senders are the actions that declare
 * a `signalInput` (approval.request). A signal computed at run time (`{% … %}`) could be any name, so a
 * recipe with one is not judged on its waits.
 */
export function checkSignals(recipe: Recipe, catalog: ConnectorCatalog): Finding[] {
  const senders: SignalUse[] = [];
  const waits: SignalUse[] = [];
  let someSignalComputed = false;
  for (const { step, path } of walkSteps(recipe)) {
    if (step.type === 'wait_for' && step.signal !== undefined) waits.push({ stepId: step.id, path, at: [...path, 'signal'], signal: step.signal });
    if (step.type !== 'action') continue;
    const field = catalog.actionDefinition(step.action)?.signalInput;
    if (field === undefined) continue;
    const signal = (step.input as Record<string, unknown> | undefined)?.[field];
    if (isExpression(signal)) someSignalComputed = true;
    // A missing or non-string signal is the input check's to report.
    else if (typeof signal === 'string') senders.push({ stepId: step.id, path, at: [...path, 'input', field], signal, action: step.action });
  }

  const findings: Finding[] = [];
  const waited = new Set(waits.map((w) => w.signal));
  for (const sender of senders) {
    if (waited.has(sender.signal)) continue;
    const others = waits.map((w) => `wait_for step "${w.stepId}" (${formatPath(w.path)}) waits for "${w.signal}"`);
    findings.push({
      path: sender.at,
      message:
        `step "${sender.stepId}" (${sender.action}) sends its decision as signal "${sender.signal}", but no wait_for of this recipe waits for it, so the decision would be lost` +
        (others.length > 0 ? `; ${others.join(', ')}` : '; add a wait_for step with this signal'),
    });
  }
  if (someSignalComputed) return findings;
  const sent = new Set(senders.map((s) => s.signal));
  for (const wait of waits) {
    if (sent.has(wait.signal)) continue;
    const suggestion = closestName(wait.signal, sent);
    const closest = senders.find((s) => s.signal === suggestion);
    const sends = (s: SignalUse) => `step "${s.stepId}" (${formatPath(s.path)}, ${s.action}) sends`;
    const hint = closest
      ? ` (did you mean "${closest.signal}"? ${sends(closest)} it)`
      : senders.length > 0
        ? `; ${senders.map((s) => `${sends(s)} "${s.signal}"`).join(', ')}`
        : `; a signal is sent by ${signalActions(catalog).join(', ') || 'no action of the connectors'}`;
    findings.push({
      path: wait.at,
      message: `step "${wait.stepId}" waits for signal "${wait.signal}", but no step of this recipe sends it, so it can only time out${hint}`,
    });
  }
  return findings;
}

/** The actions that send a signal (declare `signalInput`), by qualified name. */
function signalActions(catalog: ConnectorCatalog): string[] {
  return catalog.definitions().flatMap((d) => Object.entries(d.actions).filter(([, a]) => a.signalInput !== undefined).map(([name]) => `${d.name}.${name}`));
}
