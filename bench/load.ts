import { Agent, request } from 'undici';

export interface LoadResult {
  seconds: number;
  accepted: number;
  /** Answered 503 (backpressure): the sender must deliver again later. Not counted in `errors`. */
  refused: number;
  errors: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Every accepted request's latency, sorted (to merge rounds). */
  latencies: number[];
}

/**
 * A closed-loop load generator: `connections` workers each send a request, wait for the answer, and
 * send the next, for `seconds`. Latency is measured per request; only 2xx answers count as accepted.
 * A 503 (backpressure) is counted as refused, and that connection waits as its `Retry-After` asks (but
 * not past the end of the load), as a sender that honours it would.
 *
 * It calls `undici.request`, not the global `fetch`: fetch costs the generator about four times the CPU
 * per request, and on this 2-core machine the generator then ran out of CPU before the baseline server
 * did (the baseline measured 1600/s with fetch and 3900/s with `request`): it measured itself.
 *
 * For the same reason the requests are built before the clock starts (`prepared` of them; more are
 * built on the fly if a server is faster): building one is the generator's work, not the server's,
 * and it differs between servers (the runtime's deliveries are signed, an HMAC each).
 */
export async function generateLoad(options: {
  /** Several URLs (replicas): the connections are spread over them, connection k to URL k mod n. */
  url: string | readonly string[];
  connections: number;
  seconds: number;
  request: (n: number) => { body: string; headers: Record<string, string> };
  /** How many requests to build before the clock starts. */
  prepared?: number;
}): Promise<LoadResult> {
  const prepared = Array.from({ length: options.prepared ?? 0 }, (_, i) => options.request(i));
  const dispatcher = new Agent({ connections: options.connections, keepAliveTimeout: 30_000 });
  const latencies: number[] = [];
  let errors = 0;
  let refused = 0;
  let n = 0;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const urls = typeof options.url === 'string' ? [options.url] : options.url;
  const worker = async (_: unknown, k: number) => {
    const url = urls[k % urls.length]!;
    while (performance.now() < deadline) {
      const i = n++;
      const { body, headers } = prepared[i] ?? options.request(i);
      const t0 = performance.now();
      try {
        const res = await request(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, dispatcher });
        await res.body.dump();
        if (res.statusCode >= 200 && res.statusCode < 300) latencies.push(performance.now() - t0);
        else if (res.statusCode === 503) {
          refused += 1;
          const wait = Math.min(Number(res.headers['retry-after'] ?? 1) * 1000, deadline - performance.now());
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        } else errors += 1;
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  await dispatcher.close();
  return summarize({ seconds, errors, refused, latencies });
}

/** Throughput and percentiles of accepted requests; also merges rounds of one server. */
export function summarize(input: { seconds: number; errors: number; refused?: number; latencies: number[] }): LoadResult {
  const latencies = [...input.latencies].sort((a, b) => a - b);
  const pct = (p: number) => percentile(latencies, p);
  const accepted = latencies.length;
  return { seconds: input.seconds, accepted, refused: input.refused ?? 0, errors: input.errors, perSecond: accepted / input.seconds, p50Ms: pct(0.5), p99Ms: pct(0.99), latencies };
}

/** The `p` quantile (0..1) of ascending `sorted` values; NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}
