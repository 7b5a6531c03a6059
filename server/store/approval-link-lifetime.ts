/** What the final-timeout check reads of a run's journal: which branch each `if` took. */
export interface JournalBranchView {
  stepId: string;
  status: string;
  output: unknown;
}

/**
 * D10: whether the timeout of the wait step `waitId` is final for a run with this journal (no wait on
 * the same signal can follow it any more), so a decision that arrives now has nothing left to answer.
 * Given by the engine, which knows the run's recipe (engine/final-signal-waits.ts).
 */
export type TimeoutIsFinal = (waitId: string, journal: readonly JournalBranchView[]) => boolean;

/** What the link lifetime needs of a journal entry: its status, the signal it waits for, its output. */
export interface SignalWaitView {
  /** The step's id in the recipe (unique there). */
  stepId: string;
  status: string;
  /** The signal a `wait_for` waits for; null for any other step. */
  signal: string | null;
  output: unknown;
  /** When the wait was due to time out. */
  deadline: number | null;
  finishedAt: number | null;
}

/**
 * D10: an approval link lives as long as its run waits for the link's signal, not a fixed time. The
 * run may not have reached its `wait_for` yet (the approver clicked at once: the decision waits in the
 * run's inbox), may wait in it now, or may wait again after a timeout (an escalation waits for the same
 * signal). The wait has ended for good when no step waits for the signal, the last wait for it timed
 * out, and the run now rests in another wait or has finished: it went on without a decision. Returns when the last
 * wait for the signal timed out (its deadline), or null while the link still answers a wait.
 *
 * Between a timeout and the run's next rest (its turn is still under way, or it waits out a retry) a
 * decision is taken into the inbox, since an escalation's `wait_for` may follow; when the recipe has no
 * later wait for the signal, `signalWaitEndedForGoodAt` ends the link at once instead, so nothing is
 * kept that no step would ever read.
 */
export function signalWaitEndedAt(entries: readonly SignalWaitView[], signal: string, runFinished = false): number | null {
  const last = lastTimedOutWait(entries, signal);
  if (!last) return null;
  // A run that finished after the timeout went on without a decision as surely as one resting elsewhere.
  const restsElsewhere = runFinished || entries.some((e) => e.status === 'waiting' && e.signal !== signal);
  return restsElsewhere ? (last.deadline ?? last.finishedAt ?? 0) : null;
}

/**
 * D10: when the last wait for the signal timed out and no wait on the signal can follow it any more
 * (`timeoutIsFinal`, from the run's recipe: engine/final-signal-waits.ts), the timeout is final: a
 * decision has nothing left to answer, even while the run still works through what follows (it may
 * wait out a retry). Returns that wait's deadline, or null while a later wait may still take it.
 */
export function signalWaitEndedForGoodAt(entries: readonly SignalWaitView[], signal: string, timeoutIsFinal: TimeoutIsFinal): number | null {
  const last = lastTimedOutWait(entries, signal);
  return last && timeoutIsFinal(last.stepId, entries) ? (last.deadline ?? last.finishedAt ?? 0) : null;
}

/** The last wait for the signal when it timed out and no step waits for the signal now; otherwise null. */
function lastTimedOutWait(entries: readonly SignalWaitView[], signal: string): SignalWaitView | null {
  const forSignal = entries.filter((e) => e.signal === signal);
  if (forSignal.length === 0 || forSignal.some((e) => e.status === 'waiting')) return null;
  const last = forSignal.at(-1)!;
  const timedOut = last.status === 'completed' && (last.output as { timed_out?: unknown } | null)?.timed_out === true;
  return timedOut ? last : null;
}
