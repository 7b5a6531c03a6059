import type { ActionDefinition } from '../../connectors/kit/define-connector.ts';
import { ConnectedConnectors, type ResolvedAction } from './connector-registry.ts';

/**
 * A call to a remote system that has not answered after this long (engine clock) waits on that
 * system, not on the worker: its turn stops holding a slot (see WorkerSlots). A turn that calls a
 * healthy system, or none, ends within milliseconds even on a saturated event loop; one that takes a
 * second is waiting on a timeout, a retry delay (Retry-After, backoff) or a rate budget.
 */
export const SLOW_CALL_MS = 1000;

/**
 * How many turns the worker runs at once: execution keeps pace with intake, and one slow system does
 * not stop it.
 *
 * The worker has `base` slots (WORKER_CONCURRENCY). For each run intake stores, it may start one more
 * turn at once, up to `max` (WORKER_MAX_CONCURRENCY); each run it claims uses up one of those extra
 * slots again. Why: runs are claimed and finished in the same group commits as the deliveries, so the
 * worker executes at most as many runs per commit as it has slots, while intake stores as many as
 * arrived meanwhile (fifty connections: fifty a commit). With a fixed eight slots the backlog grew
 * under load that never stops; matching intake run for run shares the event loop fairly between the
 * two, and what is left of `base` drains a backlog. Intake itself is bounded by backpressure
 * (backpressure.ts), not by starving execution: a run queued behind an endless backlog helps no one.
 *
 * A turn whose remote call has gone unanswered for SLOW_CALL_MS (a system hanging until its timeout,
 * a retry delay waited out inside the call, a rate budget) holds no slot: it costs the worker no CPU,
 * and the runs due behind it, most of which may not even call that system, start meanwhile. Not
 * beyond `max` turns at once, whatever they wait on: that bounds memory and connections. Slots used
 * to grow only with intake, so once backpressure refused intake nothing freed the slots the slow
 * calls held (review 5, finding 4).
 */
export class WorkerSlots {
  readonly base: number;
  readonly max: number;
  /** Runs intake stored that the worker has not matched with a claim yet, at most `max - base`. */
  #credit = 0;
  /** The remote calls under way, by number, with when each started (engine clock); in the order they started. */
  readonly #calls = new Map<number, number>();
  #nextCall = 0;
  #now: () => number = () => Date.now();
  #wake: () => void = () => {};
  /** Wakes the worker when a call becomes slow (its slot is free then); armed while calls are under way. */
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(base: number, max: number = base) {
    if (!Number.isInteger(base) || base < 1) throw new Error(`worker concurrency must be a whole number of at least 1 (got ${base})`);
    this.base = base;
    this.max = Math.max(base, max);
  }

  /** The engine's clock, and how to wake its worker loop when a call turns slow. */
  watch(options: { now: () => number; wake: () => void }): void {
    this.#now = options.now;
    this.#wake = options.wake;
  }

  /** Intake stored `runs` new runs. */
  stored(runs: number): void {
    this.#credit = Math.min(this.max - this.base, this.#credit + Math.max(0, runs));
  }

  /** How many more turns may start now, with `busy` under way (those waiting on a slow system hold no slot). */
  free(busy: number): number {
    const working = busy - this.waitingOnSystems();
    return Math.max(0, Math.min(this.max - busy, this.base + this.#credit - working));
  }

  /** The worker claimed `runs` runs. */
  claimed(runs: number): void {
    this.#credit = Math.max(0, this.#credit - runs);
  }

  /** A turn called a remote system; the returned function says it answered (or failed). */
  callStarted(): () => void {
    const call = this.#nextCall++;
    this.#calls.set(call, this.#now());
    this.#timer ??= this.#arm();
    return () => {
      this.#calls.delete(call);
    };
  }

  /** Turns whose remote call has gone unanswered for SLOW_CALL_MS or longer. */
  waitingOnSystems(): number {
    if (this.#calls.size === 0) return 0;
    const slowSince = this.#now() - SLOW_CALL_MS;
    let slow = 0;
    for (const started of this.#calls.values()) {
      // In the order they started: the first call that is not slow yet ends the count.
      if (started > slowSince) break;
      slow++;
    }
    return slow;
  }

  #arm(): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      this.#timer = null;
      if (this.#calls.size === 0) return;
      this.#wake();
      this.#timer = this.#arm();
    }, SLOW_CALL_MS / 2);
    timer.unref?.();
    return timer;
  }
}

/**
 * The connectors as a turn sees them: each action's call is timed by the worker's slots, so a call
 * that goes unanswered stops holding a slot (WorkerSlots.callStarted).
 */
export class SlotTimedConnectors extends ConnectedConnectors {
  readonly #slots: WorkerSlots;
  readonly #timed = new WeakMap<ActionDefinition, ActionDefinition>();

  constructor(connectors: ConnectedConnectors, slots: WorkerSlots) {
    super(connectors.catalog, connectors.connections, connectors.notConfigured);
    this.#slots = slots;
  }

  override resolve(qualified: string): ResolvedAction {
    const resolved = super.resolve(qualified);
    let timed = this.#timed.get(resolved.definition);
    if (!timed) {
      const definition = resolved.definition;
      const slots = this.#slots;
      timed = {
        ...definition,
        async run(input, ctx) {
          const answered = slots.callStarted();
          try {
            return await definition.run(input, ctx);
          } finally {
            answered();
          }
        },
      };
      this.#timed.set(resolved.definition, timed);
    }
    return { ...resolved, definition: timed };
  }
}
