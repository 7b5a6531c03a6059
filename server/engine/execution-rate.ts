import { performance } from 'node:perf_hooks';

/** Width of one bucket of the window. */
const BUCKET_MS = 500;

/**
 * How many runs the worker started per second recently (over the last `windowMs`): the rate at which
 * the due backlog drains, from which a refused webhook's `Retry-After` is computed.
 */
export class ExecutionRate {
  readonly #windowMs: number;
  readonly #now: () => number;
  /** Runs started per bucket, keyed by bucket number; only the window's buckets are kept. */
  readonly #buckets = new Map<number, number>();

  constructor(options: { windowMs?: number; now?: () => number } = {}) {
    this.#windowMs = options.windowMs ?? 5000;
    this.#now = options.now ?? (() => performance.now());
  }

  /** The worker started `runs` runs (a claim). */
  started(runs: number): void {
    if (runs <= 0) return;
    const bucket = Math.floor(this.#now() / BUCKET_MS);
    this.#buckets.set(bucket, (this.#buckets.get(bucket) ?? 0) + runs);
    this.#forgetBefore(bucket);
  }

  /** Runs started per second over the window (0 when the worker started none). */
  perSecond(): number {
    const current = Math.floor(this.#now() / BUCKET_MS);
    this.#forgetBefore(current);
    let runs = 0;
    for (const count of this.#buckets.values()) runs += count;
    return runs / (this.#windowMs / 1000);
  }

  #forgetBefore(currentBucket: number): void {
    const oldest = currentBucket - Math.ceil(this.#windowMs / BUCKET_MS) + 1;
    for (const bucket of this.#buckets.keys()) if (bucket < oldest) this.#buckets.delete(bucket);
  }
}
