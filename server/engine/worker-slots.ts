import type { ActionDefinition } from '../../connectors/kit/define-connector.ts';
import { PARK_MAX_MS } from '../store/store.ts';
import { ConnectedConnectors, type ResolvedAction } from './connector-registry.ts';

/**
 * A call to a remote system that has not answered after this long (engine clock) waits on that
 * system, not on the worker: its turn stops holding a slot (see WorkerSlots). A turn that calls a
 * healthy system, or none, ends within milliseconds even on a saturated event loop; one that takes a
 * second is waiting on a timeout, a retry delay (Retry-After, backoff) or a rate budget.
 */
export const SLOW_CALL_MS = 1000;

/**
 * A parked run (SystemParks below) is due again after as long as it has been parked, at least this
 * long and at most PARK_MAX_MS: a system that hangs for long is asked less and less often by its
 * parked runs (each re-park is a claim and a turn's end), and they wake at once when it answers.
 */
export const PARK_MIN_MS = SLOW_CALL_MS;
/** At most this long between two tries of a parked run: a PRM call's own timeout (30 s). */
export { PARK_MAX_MS };

/** How long a run parked for `parkedForMs` (since it first became due) is parked again: as long again, within PARK_MIN_MS..PARK_MAX_MS. */
export function parkFor(parkedForMs: number): number {
  return Math.min(PARK_MAX_MS, Math.max(PARK_MIN_MS, parkedForMs));
}

/** A system that already has half the worker's turns waiting on it: its next call is parked, not made. */
export interface BusySystem {
  system: string;
  /** The calls to it under way on this replica. */
  calls: number;
}

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
 *
 * Fair between systems: a system with half of `max` turns (or more) in calls to it, one of which has
 * gone unanswered for SLOW_CALL_MS, gets no further call (`busySystem`): the turn about to make one
 * ends without it and its run is parked (interpreter.ts; only when other work waits for a turn, the
 * engine decides), due again later (parkFor), or when that system answers (`watch`'s `systemFree`:
 * as many as it has room for, oldest first). So one system that hangs holds at most half the turns,
 * and runs that call other systems keep the other half.
 */
export class WorkerSlots {
  readonly base: number;
  readonly max: number;
  /** Runs intake stored that the worker has not matched with a claim yet, at most `max - base`. */
  #credit = 0;
  /** The remote calls under way, by number, with when each started (engine clock) and the system called; in the order they started. */
  readonly #calls = new Map<number, { started: number; system: string }>();
  #nextCall = 0;
  #now: () => number = () => Date.now();
  #wake: () => void = () => {};
  #systemFree: (system: string, room: number) => Promise<number> = async () => 0;
  /**
   * Systems this worker parked runs on, while some may still be parked: with how many times a run
   * was parked on it, so a wake that found none left forgets the system only if none was parked since.
   */
  readonly #parkedOn = new Map<string, number>();
  /** A system with this many calls under way (one of them slow) gets no more: half of `max`. */
  readonly parkAt: number;
  /** Wakes the worker when a call becomes slow (its slot is free then); armed while calls are under way. */
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(base: number, max: number = base) {
    if (!Number.isInteger(base) || base < 1) throw new Error(`worker concurrency must be a whole number of at least 1 (got ${base})`);
    this.base = base;
    this.max = Math.max(base, max);
    this.parkAt = Math.max(1, Math.ceil(this.max / 2));
  }

  /**
   * The engine's clock, how to wake its worker loop when a call turns slow, and what to do when a
   * system this worker parked runs on is no longer busy (a call to it ended): wake those runs.
   */
  watch(options: { now: () => number; wake: () => void; systemFree?: (system: string, room: number) => Promise<number> }): void {
    this.#now = options.now;
    this.#wake = options.wake;
    if (options.systemFree) this.#systemFree = options.systemFree;
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
  callStarted(system = ''): () => void {
    const call = this.#nextCall++;
    this.#calls.set(call, { started: this.#now(), system });
    this.#timer ??= this.#arm();
    return () => {
      this.#calls.delete(call);
      const parks = this.#parkedOn.get(system);
      if (parks !== undefined && !this.busySystem(system)) {
        // Wake as many parked runs as the system has room for before it is busy again (parkAt calls),
        // at least one: not all of them, which would each be claimed and, but the first, parked again
        // at every answer. The system stays known while runs may remain parked on it.
        const room = Math.max(1, this.parkAt - this.callsTo(system));
        this.#systemFree(system, room).then(
          (woken) => {
            if (woken < room && this.#parkedOn.get(system) === parks) this.#parkedOn.delete(system);
          },
          () => {},
        );
      }
    };
  }

  /** Turns whose remote call has gone unanswered for SLOW_CALL_MS or longer. */
  waitingOnSystems(): number {
    if (this.#calls.size === 0) return 0;
    const slowSince = this.#now() - SLOW_CALL_MS;
    let slow = 0;
    for (const { started } of this.#calls.values()) {
      // In the order they started: the first call that is not slow yet ends the count.
      if (started > slowSince) break;
      slow++;
    }
    return slow;
  }

  /**
   * `system` when it has `parkAt` calls or more under way here, one of them unanswered for
   * SLOW_CALL_MS (it does not answer promptly, or makes its callers wait: a timeout, a Retry-After,
   * a rate budget): a further call to it is parked, not made. Else undefined. A system that answers
   * promptly is never busy, however many calls it has.
   */
  busySystem(system: string): BusySystem | undefined {
    if (this.#calls.size < this.parkAt) return undefined;
    const slowSince = this.#now() - SLOW_CALL_MS;
    let calls = 0;
    let slow = false;
    for (const call of this.#calls.values()) {
      if (call.system !== system) continue;
      calls++;
      if (call.started <= slowSince) slow = true;
    }
    return calls >= this.parkAt && slow ? { system, calls } : undefined;
  }

  /** The calls to `system` under way here. */
  callsTo(system: string): number {
    let calls = 0;
    for (const call of this.#calls.values()) if (call.system === system) calls++;
    return calls;
  }

  /** A turn parked its run on `system` (busySystem): its runs are woken when a call to it ends and it is busy no more. */
  parked(system: string): void {
    this.#parkedOn.set(system, (this.#parkedOn.get(system) ?? 0) + 1);
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
      const system = systemOf(qualified);
      timed = {
        ...definition,
        async run(input, ctx) {
          const answered = slots.callStarted(system);
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

/** The system an action calls: its connector (`prm.get_mdf_request` → `prm`). */
export function systemOf(qualified: string): string {
  const dot = qualified.indexOf('.');
  return dot < 0 ? qualified : qualified.slice(0, dot);
}
