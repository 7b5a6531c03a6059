/** One page of a skip/take listing and the total the system reports. */
export interface SkipTakePage<T> {
  items: readonly T[];
  /**
   * Total matching records (the PRM's `data.count`): paging goes on until `skip` reaches it. When
   * unknown, paging stops at the first short page instead.
   */
  total?: number | null;
}

export interface SkipTakeOptions {
  /**
   * Records per page asked for; the system may answer fewer (the PRM caps a page at 500).
   * @default 100
   */
  take?: number;
  /** @default 0 */
  skip?: number;
}

/**
 * Walks a skip/take listing (the PRM) one page at a time, yielding records as they are consumed: the
 * next page is fetched only when the caller asks for a record beyond the current one, so a recipe over
 * 100,000 records never holds more than a page.
 */
export async function* pagesBySkipTake<T>(
  fetchPage: (skip: number, take: number) => Promise<SkipTakePage<T>>,
  options: SkipTakeOptions = {},
): AsyncGenerator<T, void, undefined> {
  const take = options.take ?? 100;
  if (!(take >= 1)) throw new RangeError('take must be at least 1');
  let skip = options.skip ?? 0;
  for (;;) {
    const page = await fetchPage(skip, take);
    yield* page.items;
    skip += page.items.length;
    // An empty page ends the listing whatever the total says: records deleted meanwhile would
    // otherwise have us ask for the same empty page forever.
    if (page.items.length === 0) return;
    const total = page.total ?? null;
    // A short page is not the end when the total says more: a system may answer fewer than asked for.
    if (total === null ? page.items.length < take : skip >= total) return;
  }
}

/** One page of a listing that links to the next (Salesforce `nextRecordsUrl`, Marketo `nextPageToken`). */
export interface LinkedPage<T, Cursor = string> {
  items: readonly T[];
  /** Where the next page is; null or undefined on the last page. */
  next?: Cursor | null;
}

/**
 * Walks a listing in which each page names the next one, yielding records lazily: `first()` fetches the
 * first page, `next(cursor)` each following one, until a page carries no cursor.
 */
export async function* pagesByNextUrl<T, Cursor = string>(
  first: () => Promise<LinkedPage<T, Cursor>>,
  next: (cursor: Cursor) => Promise<LinkedPage<T, Cursor>>,
): AsyncGenerator<T, void, undefined> {
  let page = await first();
  for (;;) {
    yield* page.items;
    if (page.next === null || page.next === undefined) return;
    page = await next(page.next);
  }
}
