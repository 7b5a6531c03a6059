import type { Recipe, Step } from '../../schemas/recipe.ts';
import type { JournalEntry, Run } from '../store/store.ts';

/** `partnerflow run`'s exit codes: a run left waiting is not a success, nor a failure. */
export const RUN_EXIT = { completed: 0, failed: 1, usage: 2, waiting: 3 } as const;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * What happens when a wait's timeout passes, from the recipe: the steps of its `on_timeout` (those
 * nested in an `if` only when its condition holds), or the step the run goes on with.
 */
export function afterTimeout(recipe: Pick<Recipe, 'steps'>, stepKey: string): string {
  const id = stepKey.slice(stepKey.lastIndexOf('.') + 1);
  const found = findStep(recipe.steps, id, undefined);
  if (!found) return "then the step's timeout applies";
  const onTimeout = (found.step as { on_timeout?: Step[] }).on_timeout;
  if (onTimeout) {
    const names = stepIds(onTimeout);
    const conditional = onTimeout.some((s) => s.type === 'if');
    return `then, on timeout: ${names.join(', ')}${conditional ? ' (as their conditions hold)' : ''}`;
  }
  return found.next ? `then the run goes on with ${found.next}` : 'then the run ends';
}

/** The step with `id` and the id of the step that comes after it (after its enclosing step, at the end of a branch). */
function findStep(steps: readonly Step[], id: string, after: string | undefined): { step: Step; next: string | undefined } | undefined {
  for (const [index, step] of steps.entries()) {
    const next = steps[index + 1]?.id ?? after;
    if (step.id === id) return { step, next };
    for (const children of childSequences(step)) {
      const found = findStep(children, id, next);
      if (found) return found;
    }
  }
  return undefined;
}

function childSequences(step: Step): Step[][] {
  const s = step as { then?: unknown; else?: unknown; steps?: unknown; on_timeout?: unknown };
  return [s.then, s.else, s.steps, s.on_timeout].filter((c): c is Step[] => Array.isArray(c));
}

/** The ids of the steps that do something, depth first (an `if` is named by what it holds). */
function stepIds(steps: readonly Step[]): string[] {
  return steps.flatMap((step) => {
    const children = childSequences(step);
    return step.type === 'if' ? children.flatMap((c) => stepIds(c)) : [step.id, ...children.flatMap((c) => stepIds(c))];
  });
}

/** What a waiting run waits for, in words: its signal (and whom the approval link went to), event or time. */
function describeWait(journal: readonly JournalEntry[], recipe?: Pick<Recipe, 'steps'>): string {
  const waiting = [...journal].reverse().find((e) => e.status === 'waiting' && e.wait);
  const wait = waiting?.wait;
  if (!waiting || !wait) return 'waiting for its next attempt or turn';
  if (wait.kind === 'time') return `waiting at step ${waiting.stepKey} until ${iso(wait.until)}`;
  const until = wait.deadline === null ? '' : ` until ${iso(wait.deadline)} (${recipe ? afterTimeout(recipe, waiting.stepKey) : "then the step's timeout applies"})`;
  if (wait.kind === 'event') return `waiting at step ${waiting.stepKey} for event ${wait.event} of ${wait.key}${until}`;
  // The action that asked for this signal names who was asked (approval.request: the approver).
  const asker = journal.find((e) => e.status === 'completed' && (e.input as { signal?: unknown } | null)?.signal === wait.signal);
  const approver = (asker?.output as { approver?: unknown } | null)?.approver;
  const asked = typeof approver === 'string' ? ` (approval link emailed to ${approver})` : '';
  return `waiting at step ${waiting.stepKey} for the signal "${wait.signal}"${asked}${until}`;
}

/**
 * The lines `run` prints on stderr after the run and its journal: how the run ended and, when it
 * waits, for what, until when, and what happens after this command (nothing, in mock mode).
 */
export function describeOutcome(run: Run, journal: readonly JournalEntry[], where: { mock: boolean; dbPath: string; recipe?: Pick<Recipe, 'steps'> }): { lines: string[]; exitCode: number } {
  // A run started by hand has no business key of its own (its key is its id).
  const named = `run ${run.id} (${run.recipe}${run.dedupKey === run.id ? '' : `, ${run.dedupKey}`})`;
  switch (run.status) {
    case 'completed':
      return { lines: [`${named} completed`], exitCode: RUN_EXIT.completed };
    case 'waiting': {
      const next = where.mock
        ? 'In mock mode nothing else will happen after this command exits: the simulated systems end with it (and the in-memory store, without --db). To follow a run to its decision, use `npm start` and the README walkthrough.'
        : `It stays waiting in ${where.dbPath}: a \`partnerflow serve\` on that store resumes it when the signal or event arrives or its time comes.`;
      return { lines: [`${named} is left waiting: ${describeWait(journal, where.recipe)}.`, next, `Exit code ${RUN_EXIT.waiting}: left waiting.`], exitCode: RUN_EXIT.waiting };
    }
    default: {
      const at = run.error?.stepKey ? ` at step ${run.error.stepKey}` : '';
      return { lines: [`${named} ${run.status}${at}${run.error ? `: ${run.error.message}` : ''}`], exitCode: RUN_EXIT.failed };
    }
  }
}
