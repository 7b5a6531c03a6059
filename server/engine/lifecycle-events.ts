import type { IngestResult, NewRun, Run, TriggerRecord } from '../store/store.ts';
import type { TurnResult } from './interpreter.ts';
import type { RunId } from './ids.ts';

/** Which run an event is about: its id, its recipe, and its business key (the dedup key, e.g. the MDF number). */
export interface RunRef {
  runId: string;
  recipe: string;
  key: string;
}

/**
 * What happens to runs, as an operator follows it: the engine reports these through
 * `EngineOptions.onLifecycle` and the runtime logs them (server/lifecycle-log.ts). The engine itself
 * stays free of log formats; without a listener nothing is built.
 */
export type LifecycleEvent =
  /**
   * A webhook delivery was stored. `runs`: those it started (`existing: false`: no `run.started`
   * follows, one line per webhook is what the log affords at a thousand a second), and those its
   * business key already had (`existing: true`).
   */
  | {
      type: 'webhook.accepted';
      event: string;
      deliveryId: string;
      duplicate: boolean;
      /** `heldBehind`: stored held back behind that unfinished run of its concurrency key, to start once it finishes. */
      runs: Array<RunRef & { existing: boolean; heldBehind?: RunId }>;
      /** Recipes on this event whose trigger filter was false for it: why they started nothing. */
      filteredOut?: Array<{ recipe: string; filter: string }>;
      /** Records whose business timers (a `timer` trigger) the event recomputed or stopped. */
      timers?: Array<{ recipe: string; key: string; action: 'recomputed' | 'stopped' }>;
    }
  /** A run was created and queued by a schedule or by hand (a webhook's runs are in its `webhook.accepted`). */
  | ({ type: 'run.started'; trigger: string } & RunRef)
  /** A turn ended with the run waiting: for `step`, until `until` (epoch ms; null: until a signal or event answers). */
  | ({ type: 'run.waiting'; step: string | null; until: number | null } & RunRef)
  /** A timer of the run fired: a `wait` step's time came, or a `wait_for` step's timeout passed. */
  | ({ type: 'timer.fired'; step: string; timer: 'wait' | 'timeout' } & RunRef)
  /** A business timer (a `timer` trigger's offset, e.g. D14's day-14 reminder) came due and started its run. */
  | ({ type: 'business-timer.fired'; offset: string; dueAt: number; date: string } & RunRef)
  | ({ type: 'run.completed' } & RunRef)
  | ({ type: 'run.failed'; error: string | null; step: string | null } & RunRef)
  | ({ type: 'run.canceled'; reason: string | null } & RunRef);

/** Receives lifecycle events; must not throw (a listener's failure is not the run's). */
export type LifecycleListener = (event: LifecycleEvent) => void;

/**
 * The trigger of a run another run started (`runs.start`): which run started it, and that run's
 * business key. Kept in the trigger (stored as JSON) because the started run's dedup key is the
 * starting step's idempotency key (`run_…:sync_submitted`), which tells an operator nothing.
 */
export interface StartedByRunTrigger extends TriggerRecord {
  startedBy?: string;
  businessKey?: string;
}

/**
 * A run's business key, as the log names it: for a run started by another run, the starting run's
 * business key (handed down, so a chain of runs keeps the MDF number); for a `timer` run, its record's
 * key (its trigger's `businessKey`); else its correlation key, the key `GET /runs?key=` and the
 * console's filter find it by (the MDF number of its event, a poll's `correlation_key`); else its
 * `concurrency_key`; otherwise its dedup key (a delivery id: `prm:<id>`, which names no record).
 */
export function businessKeyOf(run: Pick<Run | NewRun, 'dedupKey' | 'trigger' | 'concurrencyKey' | 'correlationKey'>): string {
  const key = (run.trigger as StartedByRunTrigger).businessKey;
  if (typeof key === 'string' && key !== '') return key;
  return run.correlationKey || run.concurrencyKey || run.dedupKey;
}

export function refOf(run: Pick<Run | NewRun, 'id' | 'recipe' | 'dedupKey' | 'trigger' | 'concurrencyKey' | 'correlationKey'>): RunRef {
  return { runId: run.id, recipe: run.recipe, key: businessKeyOf(run) };
}

/**
 * One `webhook.accepted` per ingest, naming the runs it started and the runs its business key already
 * had (the store answers one run id per candidate, in order).
 */
export function reportIngest(
  report: LifecycleListener,
  event: string,
  deliveryId: string,
  candidates: readonly NewRun[],
  result: IngestResult,
  filteredOut: Array<{ recipe: string; filter: string }> = [],
  timers: Array<{ recipe: string; key: string; action: 'recomputed' | 'stopped' }> = [],
): void {
  const runs = result.runIds.map((id, index) => {
    const run = candidates[index];
    const behind = result.heldBack?.find((h) => h.runId === id)?.behind;
    return { runId: id, recipe: run?.recipe ?? '', key: run ? businessKeyOf(run) : '', existing: result.duplicate || id !== run?.id, ...(behind ? { heldBehind: behind } : {}) };
  });
  report({ type: 'webhook.accepted', event, deliveryId, duplicate: result.duplicate, runs, filteredOut, ...(timers.length > 0 ? { timers } : {}) });
}

/**
 * How a turn left the run, as an event; null when it changed nothing worth a line: the run waits on the
 * step and until the deadline it waited on before the turn (woken early, e.g. by a clock advance).
 */
export function turnEnded(run: Run, result: TurnResult): LifecycleEvent | null {
  const ref = refOf(run);
  switch (result.status) {
    case 'completed':
      return { type: 'run.completed', ...ref };
    case 'failed':
      return { type: 'run.failed', ...ref, error: result.error?.message ?? null, step: result.error?.stepKey ?? null };
    case 'canceled':
      return { type: 'run.canceled', ...ref, reason: result.error?.message ?? null };
    case 'waiting':
      if (result.waitingAsBefore) return null;
      return { type: 'run.waiting', ...ref, step: result.waitingOn ?? null, until: result.wakeAt };
  }
}
