import { describe, expect, it } from 'vitest';
import { pagesByNextUrl, pagesBySkipTake } from './paginate.ts';

const records = Array.from({ length: 250 }, (_, i) => ({ id: i + 1 }));

describe('pagesBySkipTake', () => {
  it('walks every page and yields each record once', async () => {
    const ids: number[] = [];
    for await (const r of pagesBySkipTake(async (skip, take) => ({ items: records.slice(skip, skip + take), total: records.length }))) ids.push(r.id);
    expect(ids).toEqual(records.map((r) => r.id));
  });

  it('fetches the next page only when the consumer reaches it', async () => {
    const fetched: number[] = [];
    const iterator = pagesBySkipTake(async (skip, take) => {
      fetched.push(skip);
      return { items: records.slice(skip, skip + take), total: records.length };
    });
    const firstFive: number[] = [];
    for await (const r of iterator) {
      firstFive.push(r.id);
      if (firstFive.length === 5) break;
    }
    expect(firstFive).toEqual([1, 2, 3, 4, 5]);
    expect(fetched).toEqual([0]);
  });

  it('keeps paging past short pages until skip reaches the total, as when the system caps a page', async () => {
    const listing = Array.from({ length: 705 }, (_, i) => ({ id: i + 1 }));
    const fetched: Array<[number, number]> = [];
    const ids: number[] = [];
    for await (const r of pagesBySkipTake(async (skip, take) => {
      fetched.push([skip, take]);
      return { items: listing.slice(skip, skip + Math.min(take, 500)), total: listing.length };
    }, { take: 1000 })) ids.push(r.id);
    expect(ids).toEqual(listing.map((r) => r.id));
    expect(fetched).toEqual([[0, 1000], [500, 1000]]);
  });

  it('stops at an empty page even when the total still says there is more (records deleted meanwhile)', async () => {
    const fetched: number[] = [];
    const all: number[] = [];
    for await (const r of pagesBySkipTake(async (skip, take) => {
      fetched.push(skip);
      return { items: records.slice(skip, Math.min(skip + take, 130)), total: 250 };
    }, { take: 50 })) all.push(r.id);
    expect(all).toEqual(records.slice(0, 130).map((r) => r.id));
    expect(fetched).toEqual([0, 50, 100, 130]);
  });

  it('without a total, stops at the first short page', async () => {
    const fetched: number[] = [];
    const all: number[] = [];
    for await (const r of pagesBySkipTake(async (skip, take) => {
      fetched.push(skip);
      return { items: records.slice(skip, skip + take), total: null };
    }, { take: 100 })) all.push(r.id);
    expect(all).toHaveLength(250);
    expect(fetched).toEqual([0, 100, 200]);
  });

  it('yields nothing for an empty listing', async () => {
    const all: unknown[] = [];
    for await (const r of pagesBySkipTake(async () => ({ items: [], total: 0 }))) all.push(r);
    expect(all).toEqual([]);
  });
});

describe('pagesByNextUrl', () => {
  it('follows next links until a page has none, lazily', async () => {
    const pages: Record<string, { items: number[]; next: string | null }> = {
      first: { items: [1, 2], next: '/q/2' },
      '/q/2': { items: [3, 4], next: '/q/3' },
      '/q/3': { items: [5], next: null },
    };
    const fetched: string[] = [];
    const load = async (key: string) => {
      fetched.push(key);
      return pages[key]!;
    };
    const seen: number[] = [];
    for await (const n of pagesByNextUrl(() => load('first'), load)) {
      seen.push(n);
      if (n === 3) expect(fetched).toEqual(['first', '/q/2']);
    }
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(fetched).toEqual(['first', '/q/2', '/q/3']);
  });
});
