import { performance } from 'node:perf_hooks';
import type { DueBacklogCount } from '../store/store.ts';
import type { Clock } from './clock.ts';

/** What the due backlog looks like now. */
export interface DueBacklogView {
  /** Runs due and not started, counted up to the view's cap. */
  count: number;
  /** How late the oldest due run is (engine clock), 0 when none is due. */
  oldestAgeMs: number;
  /** Of `count`, the runs parked on a busy system (Store.dueBacklog). */
  parked: number;
}

export interface DueBacklogOptions {
  /** The store's count (`Store.dueBacklog`). */
  query: (q: { now: number; cap: number }) => Promise<DueBacklogCount>;
  /** The engine's clock: wake times are on it. */
  clock: Clock;
  /** The view is counted again at most this often (real milliseconds). @default 200 */
  refreshMs?: number;
  /** Due runs are counted up to this many: counting costs a row read per due run. @default 50000 */
  cap?: number;
  /** Real time in milliseconds (tests move it by hand). @default performance.now */
  realNow?: () => number;
}

/** A count older than this many refresh intervals says nothing about now: the view reads as empty until counted again. */
const STALE_REFRESHES = 5;

/**
 * A cheap, fresh view of the due backlog: how many runs are due and not started, and how late the
 * oldest is. It is counted in the store (so it holds across replicas and restarts, and sees timers
 * falling due), but at most every `refreshMs`: at thousands of webhooks a second, one query per
 * webhook would cost more than the webhook.
 *
 * Reading it is synchronous and never waits for the store: a read that finds the count older than
 * `refreshMs` starts a new count in the background (one at a time) and answers from the last one.
 * Under load the view is therefore at most `refreshMs` plus one count old; after a quiet spell (no
 * count for five intervals) it reads as empty until counted, rather than refusing on old news. The
 * age is computed from the oldest wake time at each read, so it keeps growing between counts, and
 * errs late by at most one interval after the oldest run was claimed.
 */
export class DueBacklog {
  readonly #query: DueBacklogOptions['query'];
  readonly #clock: Clock;
  readonly #refreshMs: number;
  readonly #realNow: () => number;
  readonly cap: number;
  #counted: DueBacklogCount = { count: 0, oldestWakeAt: null, parked: 0 };
  #countedAt = -Infinity;
  #counting: Promise<void> | null = null;

  constructor(options: DueBacklogOptions) {
    this.#query = options.query;
    this.#clock = options.clock;
    this.#refreshMs = options.refreshMs ?? 200;
    this.cap = options.cap ?? 50_000;
    this.#realNow = options.realNow ?? (() => performance.now());
  }

  /** The backlog as last counted; starts a new count when that one is older than `refreshMs`. */
  current(): DueBacklogView {
    const age = this.#realNow() - this.#countedAt;
    if (age >= this.#refreshMs) this.refresh().catch(() => {
      // The store failed to answer: the last count stands until it goes stale; ingest reports the store's trouble itself.
    });
    if (age > STALE_REFRESHES * this.#refreshMs) return { count: 0, oldestAgeMs: 0, parked: 0 };
    return this.#view();
  }

  /** Counts the backlog now (a `/metrics` scrape wants the freshest figure); concurrent callers share one count. */
  refresh(): Promise<void> {
    this.#counting ??= (async () => {
      try {
        this.#counted = await this.#query({ now: this.#clock.now(), cap: this.cap });
        this.#countedAt = this.#realNow();
      } finally {
        this.#counting = null;
      }
    })();
    return this.#counting;
  }

  #view(): DueBacklogView {
    const { count, oldestWakeAt, parked } = this.#counted;
    return { count, oldestAgeMs: oldestWakeAt === null ? 0 : Math.max(0, this.#clock.now() - oldestWakeAt), parked };
  }
}
