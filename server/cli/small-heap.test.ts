import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it, vi } from 'vitest';
import { keepHeapSmall, OLD_GENERATION_GROWING_PERCENT, YOUNG_GENERATION_CAP_BYTES, YOUNG_GENERATION_CAP_POSTGRES_BYTES, youngGenerationCapFor } from './small-heap.ts';

// In this process only the flags V8 is asked to take are observed; the child processes below run the real thing.
vi.mock('node:v8', async (original) => ({ ...(await original<typeof import('node:v8')>()), setFlagsFromString: vi.fn() }));

const run = promisify(execFile);
const smallHeap = pathToFileURL(resolve(import.meta.dirname, 'small-heap.ts')).href;

/**
 * Runs a process that allocates like a server under load (a turn of the event loop at a time, a steady
 * stream of short-lived objects, some of which survive a while) and reports how large the young
 * generation grew. V8 flags are process-wide, so each case gets a process of its own.
 */
async function youngGenerationUnderLoad(options: { keepHeapSmall: boolean; nodeFlags?: string[]; capBytes?: number }) {
  const script = `
    import { keepHeapSmall, youngGenerationBytes } from ${JSON.stringify(smallHeap)};
    const applied = ${options.keepHeapSmall} ? keepHeapSmall(${options.capBytes ? `{ youngGenerationCapBytes: ${options.capBytes} }` : ''}) : null;
    const survivors = [];
    let largest = 0;
    let bursts = 0;
    function burst() {
      for (let i = 0; i < 2000; i++) {
        survivors.push({ id: i, name: 'delivery-' + i, data: [i, i + 1] });
        if (survivors.length > 30000) survivors.splice(0, 100);
      }
      largest = Math.max(largest, youngGenerationBytes());
      // A count, not a time: V8 grows the young generation by what survived, however slow the machine.
      if (++bursts < 200) setImmediate(burst);
      else {
        applied?.stop();
        console.log(JSON.stringify({ largest, applied }));
      }
    }
    burst();`;
  const { stdout } = await run(process.execPath, [...(options.nodeFlags ?? []), '--import', 'tsx', '--input-type=module', '-e', script]);
  return JSON.parse(stdout) as { largest: number; applied: { oldGenerationGrowth: boolean; youngGenerationCap: boolean } | null };
}

describe('keepHeapSmall (the server keeps its memory bounded under load)', () => {
  it('caps the young generation, which V8 would otherwise grow to 32 MB', async () => {
    const [uncapped, capped] = await Promise.all([youngGenerationUnderLoad({ keepHeapSmall: false }), youngGenerationUnderLoad({ keepHeapSmall: true })]);
    expect(uncapped.largest).toBeGreaterThan(1.5 * YOUNG_GENERATION_CAP_BYTES);
    expect(capped.applied).toEqual({ oldGenerationGrowth: true, youngGenerationCap: true });
    // The flag is switched between turns of the event loop, after the collection that reached the cap.
    expect(capped.largest).toBeLessThanOrEqual(YOUNG_GENERATION_CAP_BYTES * 1.25);
  });

  it('lets a server on PostgreSQL grow it to 16 MB, twice the cap on SQLite (whose page cache is in the process)', async () => {
    expect(youngGenerationCapFor('sqlite')).toBe(YOUNG_GENERATION_CAP_BYTES);
    expect(youngGenerationCapFor('postgres')).toBe(YOUNG_GENERATION_CAP_POSTGRES_BYTES);
    const onPostgres = await youngGenerationUnderLoad({ keepHeapSmall: true, capBytes: youngGenerationCapFor('postgres') });
    expect(onPostgres.largest).toBeGreaterThan(1.25 * YOUNG_GENERATION_CAP_BYTES);
    expect(onPostgres.largest).toBeLessThanOrEqual(YOUNG_GENERATION_CAP_POSTGRES_BYTES * 1.25);
  });

  it("leaves the young generation to an operator who sized it on the command line", async () => {
    const chosen = await youngGenerationUnderLoad({ keepHeapSmall: true, nodeFlags: ['--max-semi-space-size=16', '--heap-growing-percent=100'] });
    expect(chosen.applied).toEqual({ oldGenerationGrowth: false, youngGenerationCap: false });
    expect(chosen.largest).toBeGreaterThan(1.5 * YOUNG_GENERATION_CAP_BYTES);
  });

  it('asks V8 to grow the old generation by 50% after a full collection, unless the operator chose', () => {
    const flags = vi.mocked(setFlagsFromString);
    flags.mockClear();
    keepHeapSmall({ execArgv: [] }).stop();
    expect(flags).toHaveBeenCalledWith(`--heap-growing-percent=${OLD_GENERATION_GROWING_PERCENT}`);

    flags.mockClear();
    keepHeapSmall({ execArgv: ['--heap-growing-percent=100'] }).stop();
    expect(flags.mock.calls.flat().filter((flag) => String(flag).startsWith('--heap-growing-percent'))).toEqual([]);
  });
});
