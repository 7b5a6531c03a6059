import { describe, expect, it } from 'vitest';
import { ReadBatch } from './postgres-read-batches.ts';

describe('PostgreSQL store: reads asked for together share one statement', () => {
  it('concurrent calls are answered by one query over their distinct keys, each with its own rows', async () => {
    const queries: string[][] = [];
    const batch = new ReadBatch<string, { run: string; n: number }>(
      (k) => k,
      async (keys) => {
        queries.push(keys);
        return new Map(keys.filter((k) => k !== 'none').map((k) => [k, [{ run: k, n: 1 }]]));
      },
    );
    const answers = await Promise.all(['a', 'b', 'a', 'none'].map((k) => batch.get(k)));
    expect(queries).toEqual([['a', 'b', 'none']]);
    expect(answers).toEqual([[{ run: 'a', n: 1 }], [{ run: 'b', n: 1 }], [{ run: 'a', n: 1 }], []]);
    // A call after the batch was sent is sent with the next one.
    await batch.get('c');
    expect(queries).toEqual([['a', 'b', 'none'], ['c']]);
  });

  it('a failed statement fails every call of its batch, and the next batch is sent anew', async () => {
    let fail = true;
    const batch = new ReadBatch<string, string>(
      (k) => k,
      async (keys) => {
        if (fail) throw new Error('PostgreSQL is away');
        return new Map(keys.map((k) => [k, [k]]));
      },
    );
    const failed = await Promise.allSettled([batch.get('a'), batch.get('b')]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await batch.get('a')).toEqual(['a']);
  });
});
