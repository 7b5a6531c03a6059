import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import Sqlite from 'better-sqlite3';

/** Where `serve --mock` keeps its store unless `--db` names another file. Never the production store. */
export const MOCK_DB = './data/mock.db';

/**
 * Marks a SQLite file as mock mode's own (SQLite's `application_id` header field, "PFMK"): only a
 * file with this mark is ever erased by mock mode, so a `--db` that names a real store is refused.
 */
const MOCK_STORE_ID = 0x50464d4b;

/** A `--db` given to mock mode that names a file mock mode did not create: it may hold real runs. */
export class NotAMockStoreError extends Error {
  override name = 'NotAMockStoreError';
}

/**
 * Starts mock mode's store empty, as the simulated PRM, Salesforce and mailbox are at every start:
 * a store kept from an earlier start would hold runs whose records and emails are gone (the
 * walkthrough's step 1 then answers with an old, completed run and the mailbox stays empty).
 * Erases `path` (and its WAL files) only if mock mode created it; refuses any other existing file.
 */
export function startFreshMockStore(path: string): void {
  if (path === ':memory:') return;
  if (existsSync(path)) {
    // A folder or the like: the store's own open names what is wrong with it, by its setting.
    if (!statSync(path).isFile()) return;
    if (readApplicationId(path) !== MOCK_STORE_ID) {
      throw new NotAMockStoreError(
        `partnerflow: ${shownPath(path)} is not a mock-mode store (mock mode erases its store at every start, and this file may hold real runs); ` +
          `give --db a new file, or leave --db out to use ${MOCK_DB}`,
      );
    }
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true });
  }
  let sqlite: Sqlite.Database;
  try {
    mkdirSync(dirname(path), { recursive: true });
    sqlite = new Sqlite(path);
  } catch {
    return; // the store's own open fails the same way, and says so naming PARTNERFLOW_DB or --db
  }
  try {
    sqlite.pragma(`application_id = ${MOCK_STORE_ID}`);
  } finally {
    sqlite.close();
  }
}

/** As the user would write it: relative inside the working directory, absolute outside it (never `../..`). */
function shownPath(path: string): string {
  const short = relative(process.cwd(), path);
  return short && !short.startsWith('..') ? short : resolve(path);
}

function readApplicationId(path: string): number | null {
  let sqlite: Sqlite.Database | undefined;
  try {
    sqlite = new Sqlite(path, { readonly: true, fileMustExist: true });
    return sqlite.pragma('application_id', { simple: true }) as number;
  } catch {
    // Not a SQLite file at all: not mock mode's either.
    return null;
  } finally {
    sqlite?.close();
  }
}
