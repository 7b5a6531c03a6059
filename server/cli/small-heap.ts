import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** Young generation (both semi-spaces) the server lets V8 grow to; V8's own limit is 32 MB. 8 MB, not 16: with execution beside intake (the sustained rounds of `npm run bench`) 16 MB peaked at 147-150 MB resident. */
export const YOUNG_GENERATION_CAP_BYTES = 8 * 1024 * 1024;
/**
 * The cap on PostgreSQL (issue 14): SQLite keeps its page cache in the process, PostgreSQL in its own.
 * A replica at 8 MB collected its young generation so often that garbage collection was about a tenth
 * of its busy time; at 16 MB its CPU per completed run was lower (README, "Runtime CPU per run") at the
 * same peak resident memory, about 125 MB under a closed loop of 50 connections.
 */
export const YOUNG_GENERATION_CAP_POSTGRES_BYTES = 16 * 1024 * 1024;

/** The young generation cap for a server on this store. */
export function youngGenerationCapFor(store: 'sqlite' | 'postgres'): number {
  return store === 'postgres' ? YOUNG_GENERATION_CAP_POSTGRES_BYTES : YOUNG_GENERATION_CAP_BYTES;
}
/** After a full collection the old generation may grow by this much before the next one; V8's own is up to 300. */
export const OLD_GENERATION_GROWING_PERCENT = 50;

export interface SmallHeap {
  /** What was applied; an operator's own flag for the same thing wins. */
  oldGenerationGrowth: boolean;
  youngGenerationCap: boolean;
  stop(): void;
}

/**
 * Keeps the server's heap small, the way an operator would with V8 flags, without depending on how the
 * process was launched (`npm start`, the bin, `node bin/partnerflow.js`, a container's command).
 *
 * Out of the box V8 sizes its heap for throughput on a big machine: under a burst of webhooks it grows
 * the young generation to 32 MB and lets the old generation reach four times what is live before a
 * full collection. The runtime then sat at 210 MB resident for about 25 MB of live objects. Two
 * settings bring it under 140 MB for a few percent of throughput (`npm run bench`):
 * - the old generation grows by 50% of what is live after a full collection
 *   (`--heap-growing-percent`, which V8 reads at each collection, so setting it after start works).
 *   `--optimize-for-size` saved as much memory but cost a quarter of the throughput: it also makes
 *   the compiler and inline caches favour size.
 * - a cap on the young generation. `--max-semi-space-size` is only read when the heap is created, so
 *   instead the growth factor of the young generation is set to 1 (no growth) once it has reached the
 *   cap, and back to V8's 2 if a full collection shrank it.
 *
 * An operator who passes one of these flags on the command line keeps their choice.
 */
export function keepHeapSmall(options: { execArgv?: readonly string[]; youngGenerationCapBytes?: number } = {}): SmallHeap {
  const execArgv = options.execArgv ?? process.execArgv;
  const chosen = (flag: RegExp) => execArgv.some((arg) => flag.test(arg));
  const oldGenerationGrowth = !chosen(/^--(heap[-_]growing[-_]percent|(no-)?optimize[-_]for[-_]size)\b/);
  const youngGenerationCap = !chosen(/^--(max[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor|max[-_]heap[-_]size)\b/);
  if (oldGenerationGrowth) setFlagsFromString(`--heap-growing-percent=${OLD_GENERATION_GROWING_PERCENT}`);
  let observer: PerformanceObserver | undefined;
  if (youngGenerationCap) {
    const cap = options.youngGenerationCapBytes ?? YOUNG_GENERATION_CAP_BYTES;
    let growing = true;
    const enforce = () => {
      const shouldGrow = youngGenerationBytes() < cap;
      if (shouldGrow === growing) return;
      setFlagsFromString(`--semi-space-growth-factor=${shouldGrow ? 2 : 1}`);
      growing = shouldGrow;
    };
    enforce();
    // A 'gc' entry arrives after each collection, the only moments the young generation changes size.
    observer = new PerformanceObserver(enforce);
    observer.observe({ entryTypes: ['gc'] });
  }
  return {
    oldGenerationGrowth,
    youngGenerationCap,
    stop() {
      observer?.disconnect();
    },
  };
}

export function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
}
