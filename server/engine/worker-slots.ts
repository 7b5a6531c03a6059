/**
 * How many turns the worker runs at once: execution keeps pace with intake.
 *
 * The worker has `base` slots (WORKER_CONCURRENCY). For each run intake stores, it may start one more
 * turn at once, up to `max` (WORKER_MAX_CONCURRENCY); each run it claims uses up one of those extra
 * slots again. Why: runs are claimed and finished in the same group commits as the deliveries, so the
 * worker executes at most as many runs per commit as it has slots, while intake stores as many as
 * arrived meanwhile (fifty connections: fifty a commit). With a fixed eight slots the backlog grew
 * under load that never stops; matching intake run for run shares the event loop fairly between the
 * two, and what is left of `base` drains a backlog. Intake itself is bounded by backpressure
 * (backpressure.ts), not by starving execution: a run queued behind an endless backlog helps no one.
 */
export class WorkerSlots {
  readonly base: number;
  readonly max: number;
  /** Runs intake stored that the worker has not matched with a claim yet, at most `max - base`. */
  #credit = 0;

  constructor(base: number, max: number = base) {
    if (!Number.isInteger(base) || base < 1) throw new Error(`worker concurrency must be a whole number of at least 1 (got ${base})`);
    this.base = base;
    this.max = Math.max(base, max);
  }

  /** Intake stored `runs` new runs. */
  stored(runs: number): void {
    this.#credit = Math.min(this.max - this.base, this.#credit + Math.max(0, runs));
  }

  /** How many more turns may start now, with `busy` under way. */
  free(busy: number): number {
    return Math.max(0, this.base + this.#credit - busy);
  }

  /** The worker claimed `runs` runs. */
  claimed(runs: number): void {
    this.#credit = Math.max(0, this.#credit - runs);
  }
}
