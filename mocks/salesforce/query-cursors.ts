import { randomBytes } from 'node:crypto';

/** Records per query page unless the client asks for fewer (`Sforce-Query-Options: batchSize=`), as in the real API. */
const QUERY_BATCH_SIZE = 2000;
const MIN_BATCH_SIZE = 200;

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** One page of a query answer, in Salesforce's shape. */
export interface QueryPage {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: Array<Record<string, unknown>>;
}

interface Cursor {
  rows: Array<Record<string, unknown>>;
  batchSize: number;
  apiVersion: string;
}

/**
 * Open query cursors. A query's result is fixed when it runs (later writes do not change the pages
 * still to come), and each page links to the next with `nextRecordsUrl`:
 * `/services/data/v61.0/query/01g<15 characters>-2000`.
 */
export class QueryCursors {
  #cursors = new Map<string, Cursor>();

  /** The first page of a result, opening a cursor when there is more. */
  open(rows: Array<Record<string, unknown>>, totalSize: number, apiVersion: string, batchSizeHeader: string | null): QueryPage {
    const batchSize = readBatchSize(batchSizeHeader);
    if (rows.length <= batchSize) return { totalSize, done: true, records: rows };
    let locator = '';
    const bytes = randomBytes(15);
    for (const byte of bytes) locator += ALPHANUMERIC[byte % ALPHANUMERIC.length];
    locator = `01g${locator}`;
    this.#cursors.set(locator, { rows, batchSize, apiVersion });
    return this.#page(locator, 0);
  }

  /** The page at `<locator>-<offset>`, or undefined for a locator this org never issued. */
  next(locatorAndOffset: string): QueryPage | undefined {
    const match = /^(01g[A-Za-z0-9]+)-(\d+)$/.exec(locatorAndOffset);
    if (!match || !this.#cursors.has(match[1]!)) return undefined;
    return this.#page(match[1]!, Number(match[2]));
  }

  clear(): void {
    this.#cursors.clear();
  }

  #page(locator: string, offset: number): QueryPage {
    const cursor = this.#cursors.get(locator)!;
    const records = cursor.rows.slice(offset, offset + cursor.batchSize);
    const end = offset + records.length;
    // The cursor stays open after its last page: a client may repeat a page after a lost answer.
    if (end >= cursor.rows.length) return { totalSize: cursor.rows.length, done: true, records };
    return { totalSize: cursor.rows.length, done: false, nextRecordsUrl: `/services/data/v${cursor.apiVersion}/query/${locator}-${end}`, records };
  }
}

/** `batchSize=500` from the Sforce-Query-Options header, kept between 200 and 2,000 as Salesforce does. */
function readBatchSize(header: string | null): number {
  const match = header ? /batchSize\s*=\s*(\d+)/i.exec(header) : null;
  if (!match) return QUERY_BATCH_SIZE;
  return Math.min(QUERY_BATCH_SIZE, Math.max(MIN_BATCH_SIZE, Number(match[1])));
}
