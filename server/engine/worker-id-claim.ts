import { randomUUID } from 'node:crypto';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import type { Store } from '../store/store.ts';
import { Outage } from './outage.ts';
import { systemClock } from './clock.ts';

/**
 * How often a process refreshes the heartbeat of its worker id (store/worker-instances.ts). It bounds
 * how long a restart after a kill waits (WORKER_STALE_MS) and costs one tiny UPDATE per interval per
 * replica: 2 s keeps that wait at a few seconds, against a lease (PARTNERFLOW_LEASE_MS) of a minute.
 */
export const WORKER_HEARTBEAT_MS = 2000;

/**
 * A holder silent this long is gone: three heartbeats, so that one lost or late (a GC pause, a slow
 * commit, a store failing over) is not taken for a death. A start waits at most this long.
 */
export const WORKER_STALE_MS = 3 * WORKER_HEARTBEAT_MS;

/** How often a start waiting on a holder reads its heartbeat again: twice an interval, so a live holder's next beat is seen soon. */
const WATCH_EVERY_MS = WORKER_HEARTBEAT_MS / 2;

/** How soon a start tries again to take its id after the store failed: at first and at most (doubling). */
const STORE_RETRY_MS = { first: 250, max: 2000 };

/** A start refused: another live process holds this worker id (its heartbeat moved while this start watched it). */
export class WorkerIdInUseError extends Error {
  override name = 'WorkerIdInUseError';
  constructor(
    readonly workerId: string,
    readonly lastBeatAgoMs: number,
  ) {
    super(`PARTNERFLOW_WORKER_ID "${workerId}" is in use by another running process (its last heartbeat ${Math.round(lastBeatAgoMs / 1000)} s ago): give each replica its own id`);
  }
}

export interface WorkerIdHoldOptions {
  store: Pick<Store, 'workerInstance' | 'takeWorkerId' | 'beatWorkerId' | 'leaveWorkerId'>;
  workerId: string;
  log: Logger;
  /** The wall clock (epoch ms); never a virtual clock: liveness is about processes, and a harness's clock jumps days. */
  now?: () => number;
}

/**
 * This process's hold on its worker id (PARTNERFLOW_WORKER_ID). A start frees the run leases of its
 * worker id so that a replica back after a kill resumes its runs at once, instead of after
 * PARTNERFLOW_LEASE_MS; but a second live process started with the same id (a copied service, a scaled
 * one) must not take the first one's runs in flight. A dead process cannot be told from a live one
 * without waiting, so each process beats a heartbeat into the store while it runs, and a start:
 *
 * - takes the id at once when no one holds it (the last holder stopped cleanly and gave it up), or when
 *   its holder's last heartbeat is older than WORKER_STALE_MS (it died a while ago);
 * - otherwise watches the holder's heartbeat: when it moves, the holder is alive and the start is
 *   refused (WorkerIdInUseError); when it stays still until WORKER_STALE_MS after it was written (or
 *   after this start first saw it, whichever comes first), the holder is dead and the id is taken.
 *
 * Taking the id frees its leases in the same transaction (Store.takeWorkerId). The take is a
 * compare-and-set on the heartbeat read, so a holder that beats at the last moment keeps its id, and
 * two starts at once take it once. Heartbeat times are compared with this process's clock only for the
 * "died a while ago" shortcut; watching needs no clock shared with the holder.
 */
export class WorkerIdHold {
  /** This process's instance: random, new at each start. */
  readonly instanceId = randomUUID();
  readonly #o: WorkerIdHoldOptions;
  readonly #now: () => number;
  #timer: ReturnType<typeof setInterval> | null = null;
  #beating = false;
  #lost = false;
  #held = false;
  #fromUnstopped = false;

  constructor(options: WorkerIdHoldOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Whether the id was taken from a process that had not given it up (killed, crashed, or stopped
   * while the store was down), rather than found free after a clean stop.
   */
  get tookFromUnstopped(): boolean {
    return this.#fromUnstopped;
  }

  /**
   * Waits until the worker id is this process's (at most WORKER_STALE_MS once the store answers),
   * starts the heartbeat, and says how many run leases of the id it freed. Throws WorkerIdInUseError
   * when a live process holds it; null when `stopped` was aborted (the process stops) before it was
   * taken: nothing taken, and a wait under way ends at once.
   *
   * While the store fails (PostgreSQL restarting, a network cut), it keeps trying, 250 ms doubling to
   * 2 s, and says so as the claim loop does (an Outage, outage.ts): once when the outage starts (error), every
   * minute while it lasts (warn) and when the id is taken (info): a process without its id must not claim runs, since a second start under
   * that id would not be refused and both would run them.
   */
  async take(stopped?: AbortSignal): Promise<number | null> {
    const { store, workerId, log } = this.#o;
    let watched: { instanceId: string; beatAt: number; since: number } | null = null;
    let waitLogged = false;
    const outage = new Outage(
      log,
      {
        started: `could not take PARTNERFLOW_WORKER_ID "${workerId}": the store failed; claiming no runs until it is taken; trying again`,
        still: `taking PARTNERFLOW_WORKER_ID "${workerId}" still fails: the store is unavailable; claiming no runs until it is taken`,
        over: (failures) => `store reachable again: PARTNERFLOW_WORKER_ID "${workerId}" taken after ${failures} failed tries`,
      },
      { fields: { worker: workerId } },
    );
    const failed = async (error: unknown) => {
      outage.failed(error);
      await sleep(Math.min(STORE_RETRY_MS.first * 2 ** (outage.failures - 1), STORE_RETRY_MS.max), stopped);
    };
    const taken = (freedLeases: number) => {
      this.#held = true;
      this.#startBeating();
      outage.succeeded();
      return freedLeases;
    };
    for (;;) {
      if (stopped?.aborted) return null;
      let holder: Awaited<ReturnType<typeof store.workerInstance>>;
      try {
        holder = await store.workerInstance(workerId);
      } catch (error) {
        await failed(error);
        continue;
      }
      // A take whose answer the store's failure lost was stored after all: the id is this start's (its leases freed then).
      if (holder?.instanceId === this.instanceId) return taken(0);
      let from: { instanceId: string; beatAt: number } | null = null;
      if (holder) {
        if (watched && (holder.instanceId !== watched.instanceId || holder.beatAt !== watched.beatAt)) {
          throw new WorkerIdInUseError(workerId, Math.max(0, this.#now() - holder.beatAt));
        }
        watched ??= { instanceId: holder.instanceId, beatAt: holder.beatAt, since: performance.now() };
        const silentMs = Math.max(this.#now() - holder.beatAt, performance.now() - watched.since);
        if (silentMs < WORKER_STALE_MS) {
          if (!waitLogged) {
            waitLogged = true;
            log.info(
              { worker: workerId, lastHeartbeatMsAgo: Math.max(0, this.#now() - holder.beatAt) },
              `PARTNERFLOW_WORKER_ID "${workerId}" was held by a process whose heartbeat is recent; waiting up to ${Math.ceil((WORKER_STALE_MS - silentMs) / 1000)} s: it resumes its runs if that process died, refuses to start if it is alive`,
            );
          }
          await sleep(Math.min(WATCH_EVERY_MS, WORKER_STALE_MS - silentMs), stopped);
          continue;
        }
        from = { instanceId: holder.instanceId, beatAt: holder.beatAt };
      }
      let take: Awaited<ReturnType<typeof store.takeWorkerId>>;
      try {
        take = await store.takeWorkerId({ workerId, instanceId: this.instanceId, now: this.#now(), from });
      } catch (error) {
        await failed(error);
        continue;
      }
      // Not taken: the row changed since it was read (a beat, a clean stop, another start): read it again.
      if (!take.taken) continue;
      this.#fromUnstopped = from !== null;
      return taken(take.freedLeases);
    }
  }

  #startBeating(): void {
    const { store, workerId, instanceId, log } = { ...this.#o, instanceId: this.instanceId };
    this.#timer = setInterval(() => {
      // A beat still under way (a slow store) is not doubled up.
      if (this.#beating) return;
      this.#beating = true;
      store.beatWorkerId({ workerId, instanceId, now: this.#now() }).then(
        (held) => {
          if (held || this.#lost || !this.#held) return;
          this.#lost = true;
          log.error(
            { worker: workerId },
            `PARTNERFLOW_WORKER_ID "${workerId}" was taken over by another process (this one's heartbeat did not reach the store for ${WORKER_STALE_MS / 1000} s, or two processes share the id); its runs in flight here are no longer this process's: give each replica its own id`,
          );
        },
        // The store is away: the next beat tries again; a holder silent past WORKER_STALE_MS may be taken over.
        () => {},
      ).finally(() => (this.#beating = false));
    }, WORKER_HEARTBEAT_MS);
    // The heartbeat never keeps a process (or a test, or the harness) alive by itself.
    this.#timer.unref?.();
  }

  /** A clean stop: no more heartbeats, and the id is given up so the next start takes it at once. */
  async leave(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (!this.#held) return;
    this.#held = false;
    try {
      await this.#o.store.leaveWorkerId({ workerId: this.#o.workerId, instanceId: this.instanceId });
    } catch (error) {
      this.#o.log.warn({ worker: this.#o.workerId, error: (error as Error).message }, `could not give PARTNERFLOW_WORKER_ID up in the store; the next start under it waits up to ${WORKER_STALE_MS / 1000} s`);
    }
  }
}

/** Resolves after `ms` (real time), or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return systemClock.sleep(ms, signal).catch(() => {});
}
