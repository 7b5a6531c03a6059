import type { Recipe, Step } from '../../schemas/recipe.ts';
import type { TimeoutIsFinal } from '../store/approval-link-lifetime.ts';

/** A wait on the signal that may follow another, and the `if` branches it lies in (empty: always reachable). */
interface Follower {
  id: string;
  guards: ReadonlyArray<{ ifId: string; branch: 'then' | 'else' }>;
}

/**
 * D10: reads from the recipe which waits on `signal` may follow each wait on it: in its `on_timeout`
 * steps, later in the flow (after it, or after the steps that enclose it), in a later iteration of an
 * enclosing `foreach`, or in an `on_error` path. A follower inside an `if` branch the run's journal
 * shows was not taken can no longer be reached; anything the journal cannot rule out counts as
 * reachable (a foreach's branches, an on_error path), so a decision is only refused when no step
 * could ever read it.
 */
export function finalTimeoutCheck(recipe: Recipe, signal: string): TimeoutIsFinal {
  const followers = new Map<string, Follower[]>();
  // A recipe-level on_error runs after any step fails: a wait on the signal there may follow any wait.
  const afterAll = recipe.on_error ? unguarded(waitsIn(recipe.on_error.steps, signal)) : [];
  collect(recipe.steps, afterAll, false, signal, followers);
  if (recipe.on_error) collect(recipe.on_error.steps, [], false, signal, followers);
  return (waitId, journal) => {
    const after = followers.get(waitId);
    if (!after) return false;
    const taken = new Map<string, unknown>();
    for (const e of journal) if (e.status === 'completed') taken.set(e.stepId, (e.output as { branch?: unknown } | null)?.branch);
    return after.every((f) => f.guards.some((g) => taken.has(g.ifId) && taken.get(g.ifId) !== g.branch));
  };
}

/** Walks `steps`; `after`: the waits that may come once this sequence ends. In a loop, branches are not told apart. */
function collect(steps: readonly Step[], after: Follower[], inLoop: boolean, signal: string, out: Map<string, Follower[]>): void {
  steps.forEach((step, i) => {
    const rest = waitsIn(steps.slice(i + 1), signal);
    const later = [...(inLoop ? unguarded(rest) : rest), ...after];
    switch (step.type) {
      case 'wait_for': {
        if (step.signal === signal) {
          const onTimeout = step.on_timeout ? waitsIn(step.on_timeout, signal) : [];
          out.set(step.id, [...(inLoop ? unguarded(onTimeout) : onTimeout), ...later]);
        }
        if (step.on_timeout) collect(step.on_timeout, later, inLoop, signal, out);
        return;
      }
      case 'if':
        collect(step.then, later, inLoop, signal, out);
        if (step.else) collect(step.else, later, inLoop, signal, out);
        return;
      case 'foreach':
        // The next iteration runs the same steps again.
        collect(step.steps, [...unguarded(waitsIn(step.steps, signal)), ...later], true, signal, out);
        return;
      case 'action':
        if (step.on_error && typeof step.on_error === 'object') collect(step.on_error.steps, unguarded(later), inLoop, signal, out);
        return;
      default:
        return;
    }
  });
}

/** Every wait on the signal in `steps`, at any depth, with the `if` branches (outside loops) it lies in. */
function waitsIn(steps: readonly Step[], signal: string): Follower[] {
  return steps.flatMap((step): Follower[] => {
    switch (step.type) {
      case 'wait_for':
        return [...(step.signal === signal ? [{ id: step.id, guards: [] }] : []), ...(step.on_timeout ? waitsIn(step.on_timeout, signal) : [])];
      case 'if':
        return [
          ...waitsIn(step.then, signal).map((f) => ({ id: f.id, guards: [...f.guards, { ifId: step.id, branch: 'then' as const }] })),
          ...(step.else ? waitsIn(step.else, signal).map((f) => ({ id: f.id, guards: [...f.guards, { ifId: step.id, branch: 'else' as const }] })) : []),
        ];
      case 'foreach':
        return unguarded(waitsIn(step.steps, signal));
      case 'action':
        return step.on_error && typeof step.on_error === 'object' ? unguarded(waitsIn(step.on_error.steps, signal)) : [];
      default:
        return [];
    }
  });
}

/** The journal cannot tell which branch an iteration or a failure path takes: count the waits as reachable. */
function unguarded(followers: Follower[]): Follower[] {
  return followers.map((f) => ({ id: f.id, guards: [] }));
}
