import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** Young generation (both semi-spaces) the server lets V8 grow to; V8's own limit is 32 MB. */
export const YOUNG_GENERATION_CAP_BYTES = 8 * 1024 * 1024;

export interface SmallHeap {
  /** What was applied; an operator's own flag for the same thing wins. */
  optimizeForSize: boolean;
  youngGenerationCap: boolean;
  stop(): void;
}

/**
 * Keeps the server's heap small, the way an operator would with V8 flags, without depending on how the
 * process was launched (`npm start`, the bin, `node bin/partnerflow.js`, a container's command).
 *
 * Out of the box V8 sizes its heap for throughput on a big machine: under a burst of webhooks it grows
 * the young generation to 32 MB and lets the old generation reach four times what is live before a
 * full collection. The runtime then sat at 220 MB resident for about 25 MB of live objects. Two
 * settings bring it to about 130 MB at the same throughput (`npm run bench`):
 * - `--optimize-for-size`: grow the old generation by little after each full collection and give
 *   memory back. V8 reads it at each collection, so setting it after start works.
 * - a cap on the young generation. `--max-semi-space-size` is only read when the heap is created, so
 *   instead the growth factor of the young generation is set to 1 (no growth) once it has reached the
 *   cap, and back to V8's 2 if a full collection shrank it. Scavenges stay cheap: their cost is what
 *   survives, not the space.
 *
 * An operator who passes either flag on the command line keeps their choice.
 */
export function keepHeapSmall(options: { execArgv?: readonly string[]; youngGenerationCapBytes?: number } = {}): SmallHeap {
  const execArgv = options.execArgv ?? process.execArgv;
  const chosen = (flag: RegExp) => execArgv.some((arg) => flag.test(arg));
  const optimizeForSize = !chosen(/^--(no-)?optimize[-_]for[-_]size\b/);
  const youngGenerationCap = !chosen(/^--(max[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor|max[-_]heap[-_]size)\b/);
  if (optimizeForSize) setFlagsFromString('--optimize-for-size');

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
    optimizeForSize,
    youngGenerationCap,
    stop() {
      observer?.disconnect();
    },
  };
}

export function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
}
