import { SharedRateLimiter } from '../../connectors/kit/shared-rate-limiter.ts';
import { systemClock } from '../../server/engine/clock.ts';
import { openSqliteStore } from '../../server/store/sqlite-store.ts';

/**
 * One replica for the multi-process rate budget test (server/store/rate-budgets-processes.test.ts):
 * opens the SQLite file given, runs `callers` concurrent callers of `calls` calls each through a
 * SharedRateLimiter on the real clock, and prints, as JSON, each call's span as the call saw it
 * (after its slot was granted, before it was given back): `[[from, to], ...]`.
 *
 *   node bin/run-ts.js test/support/rate-budget-replica.ts <db file> <callers> <calls> <maxCalls> <windowMs> <maxConcurrent>
 */
const [path, callers, calls, maxCalls, windowMs, maxConcurrent] = process.argv.slice(2);
const store = await openSqliteStore({ path: path! });
const limiter = new SharedRateLimiter({
  store,
  budget: 'marketo:shared-by-processes',
  maxCalls: Number(maxCalls),
  perMs: Number(windowMs),
  maxConcurrent: Number(maxConcurrent),
  clock: systemClock,
  pollMs: 2,
});
const spans: Array<[number, number]> = [];
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
await Promise.all(
  Array.from({ length: Number(callers) }, async () => {
    for (let i = 0; i < Number(calls); i++) {
      await limiter.run(async () => {
        const from = Date.now();
        // The call is in flight for a few turns of the event loop.
        for (let t = 0; t < 5; t++) await turn();
        spans.push([from, Date.now()]);
      });
    }
  }),
);
await store.close();
process.stdout.write(JSON.stringify(spans));
