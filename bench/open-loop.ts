import { Agent, request } from 'undici';
import { summarize, type LoadResult } from './load.ts';

/**
 * An open-loop load generator: requests leave on a fixed schedule, `rate` a second, whether or not the
 * earlier ones were answered, so a slow answer cannot hold back the load (a closed loop would send less
 * and hide it). Latency is measured from the time a request was due to leave, not from when it left:
 * time a request spent waiting behind a slow server counts. A 503 counts as refused and is not sent again.
 */
export async function generateOpenLoad(options: {
  /** Several URLs (replicas): request i goes to URL i mod n. */
  url: string | readonly string[];
  rate: number;
  seconds: number;
  request: (n: number) => { body: string; headers: Record<string, string> };
  /** Connections to the server: enough that the generator does not queue requests itself. @default 256 */
  connections?: number;
  /** Told of each answer: the request's number, when it was due to leave, and its status (null: no answer). */
  onAnswer?: (n: number, dueAt: number, statusCode: number | null) => void;
}): Promise<LoadResult> {
  const total = Math.floor(options.rate * options.seconds);
  const prepared = Array.from({ length: total }, (_, i) => options.request(i));
  const dispatcher = new Agent({ connections: options.connections ?? 256, keepAliveTimeout: 30_000 });
  const latencies: number[] = [];
  let errors = 0;
  let refused = 0;
  const inFlight: Array<Promise<void>> = [];
  const urls = typeof options.url === 'string' ? [options.url] : options.url;
  const send = async (i: number, dueAt: number) => {
    const { body, headers } = prepared[i]!;
    try {
      const res = await request(urls[i % urls.length]!, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, dispatcher });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) latencies.push(performance.now() - dueAt);
      else if (res.statusCode === 503) refused += 1;
      else errors += 1;
      options.onAnswer?.(i, dueAt, res.statusCode);
    } catch {
      errors += 1;
      options.onAnswer?.(i, dueAt, null);
    }
  };
  const started = performance.now();
  const intervalMs = 1000 / options.rate;
  let sent = 0;
  while (sent < total) {
    // Every request whose time has come leaves now; then sleep until the next one is due.
    const now = performance.now();
    while (sent < total && started + sent * intervalMs <= now) {
      inFlight.push(send(sent, started + sent * intervalMs));
      sent += 1;
    }
    const nextAt = started + sent * intervalMs;
    await new Promise((r) => setTimeout(r, Math.max(0, nextAt - performance.now())));
  }
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(inFlight);
  await dispatcher.close();
  return summarize({ seconds, errors, refused, latencies });
}
