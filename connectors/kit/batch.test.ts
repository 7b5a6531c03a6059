import { describe, expect, it } from 'vitest';
import { chunk, chunkAsync } from './batch.ts';

describe('chunk', () => {
  it('splits 450 records into Marketo-sized batches of 300 and 150', () => {
    const batches = chunk(Array.from({ length: 450 }, (_, i) => i), 300);
    expect(batches.map((b) => b.length)).toEqual([300, 150]);
    expect(batches.flat()).toHaveLength(450);
  });

  it('returns no batch for no records and refuses a size below 1', () => {
    expect(chunk([], 200)).toEqual([]);
    expect(() => chunk([1], 0)).toThrow('a batch size must be a positive integer, got 0');
  });
});

describe('chunkAsync', () => {
  it('groups a lazy stream into batches without reading ahead of the batch', async () => {
    let produced = 0;
    async function* stream() {
      for (let i = 1; i <= 5; i++) {
        produced = i;
        yield i;
      }
    }
    const batches: number[][] = [];
    for await (const b of chunkAsync(stream(), 2)) {
      batches.push(b);
      // When a batch is handed over, the stream has produced exactly that batch's records and no more.
      expect(produced).toBe(Math.min(5, batches.length * 2));
    }
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });
});
