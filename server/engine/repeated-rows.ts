/** What `keyOf` returns for a row that takes no part in the check (it repeats nothing, nothing repeats it). */
export const NO_KEY: unique symbol = Symbol('no key');

/** A row whose key an earlier row has: its index and the first such row's. */
export interface RepeatedRow {
  index: number;
  first: number;
}

/**
 * The rows of a table that repeat an earlier row's key (keys compared as a Map compares them), in row
 * order. The callers (lookup keys, the programme tables, a timer's offsets, the reminder days) word
 * their own problems.
 */
export function repeatedRows<R>(rows: readonly R[], keyOf: (row: R) => unknown): RepeatedRow[] {
  const seen = new Map<unknown, number>();
  const repeated: RepeatedRow[] = [];
  rows.forEach((row, index) => {
    const key = keyOf(row);
    if (key === NO_KEY) return;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else repeated.push({ index, first });
  });
  return repeated;
}
