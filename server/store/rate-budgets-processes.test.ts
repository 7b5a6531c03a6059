import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from './sqlite-store.ts';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'partnerflow-budget-processes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One replica process taking from the budget on the shared file; resolves with each call's span. */
function replica(path: string, args: number[]): Promise<Array<[number, number]>> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/run-ts.js'), join(root, 'test/support/rate-budget-replica.ts'), path, ...args.map(String)], { cwd: root });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolvePromise(JSON.parse(out) as Array<[number, number]>) : reject(new Error(`replica exited with ${code}: ${err}`))));
  });
}

/** The most spans overlapping at any moment. */
function peakOverlap(spans: Array<[number, number]>): number {
  const events = spans.flatMap(([from, to]) => [{ at: from, d: 1 }, { at: to, d: -1 }]);
  // A span ending at the moment another starts does not overlap it: ends first.
  events.sort((a, b) => a.at - b.at || a.d - b.d);
  let now = 0;
  let peak = 0;
  for (const e of events) peak = Math.max(peak, (now += e.d));
  return peak;
}

describe('Rate budget shared by processes on one SQLite file (issue 14, part 5)', () => {
  it('three processes, 4 callers each, 120 calls: never more than 3 in flight or 15 in any 400 ms, and every call done', { timeout: 120_000 }, async () => {
    const path = join(dir, 'shared.db');
    // Migrated once before the processes start, as a runtime's start would have.
    await (await openSqliteStore({ path })).close();
    const limits = { maxCalls: 15, windowMs: 400, maxConcurrent: 3 };
    const results = await Promise.all([1, 2, 3].map(() => replica(path, [4, 10, limits.maxCalls, limits.windowMs, limits.maxConcurrent])));
    const spans = results.flat();
    expect(spans).toHaveLength(120);
    expect(peakOverlap(spans)).toBeLessThanOrEqual(limits.maxConcurrent);
    // Each call reached the "system" within its span: count the starts in every window.
    const starts = spans.map(([from]) => from).sort((a, b) => a - b);
    const busiest = Math.max(...starts.map((t) => starts.filter((s) => s > t - limits.windowMs && s <= t).length));
    expect(busiest).toBeLessThanOrEqual(limits.maxCalls);
    // The window set the pace: 120 calls at 15 per 400 ms span at least seven windows.
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(7 * limits.windowMs);
    // Every process took part.
    expect(results.every((r) => r.length === 40)).toBe(true);
  });
});
