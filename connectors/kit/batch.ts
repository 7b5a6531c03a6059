/**
 * Splits records into groups of at most `size`, for bulk endpoints with a per-call limit (Salesforce
 * sObject Collections take 200 records, Marketo 300).
 */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`a batch size must be a positive integer, got ${size}`);
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  return batches;
}

/**
 * Groups a lazily produced stream (a paginated listing) into batches of at most `size`, holding one
 * batch at a time: records flow from one system's pages into another's bulk calls without all of them
 * ever being in memory.
 */
export async function* chunkAsync<T>(items: AsyncIterable<T> | Iterable<T>, size: number): AsyncGenerator<T[], void, undefined> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`a batch size must be a positive integer, got ${size}`);
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
