import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { displayPath } from '../find-files.ts';

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

/** Another running mock-mode process holds the store: erasing it would pull its data from under it. */
export class MockStoreInUseError extends Error {
  override name = 'MockStoreInUseError';
}

/**
 * Starts mock mode's store empty, as the simulated PRM, Salesforce and mailbox are at every start:
 * a store kept from an earlier start would hold runs whose records and emails are gone (the
 * walkthrough's step 1 then answers with an old, completed run and the mailbox stays empty).
 * Erases `path` (and its WAL files) only if mock mode created it; refuses any other existing file.
 * Takes the store's lock first (`<path>.lock`, see lockMockStore) and refuses a store another live
 * mock-mode process holds. Returns the function that releases the lock (call it once the runtime closed).
 */
export function startFreshMockStore(path: string): () => void {
  if (path === ':memory:') return () => {};
  if (existsSync(path) && !statSync(path).isFile()) return () => {}; // the store's own open names what is wrong
  if (existsSync(path) && readApplicationId(path) !== MOCK_STORE_ID) {
    throw new NotAMockStoreError(
      `partnerflow: ${displayPath(path)} is not a mock-mode store (mock mode erases its store at every start, and this file may hold real runs); ` +
        `give --db a new file, or leave --db out to use ${MOCK_DB}`,
    );
  }
  let release: () => void;
  try {
    release = lockMockStore(path);
  } catch (error) {
    if (error instanceof MockStoreInUseError) throw error;
    // No folder can be made for it (a path under a file...): the store's own open says so, naming the setting.
    return () => {};
  }
  try {
    eraseAndMark(path);
  } catch (error) {
    release();
    throw error;
  }
  return release;
}

function eraseAndMark(path: string): void {
  if (existsSync(path)) {
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

/**
 * Claims the store for this process: `<path>.lock` holds the pid of the mock-mode process using it,
 * created exclusively (two starts at once cannot both win). A lock whose process is gone (killed, so
 * it could not remove it) is taken over. Why a lock and not the port: a second start on another port
 * (`--port 3999`) would otherwise erase the first one's store, which then runs on unlinked files.
 */
function lockMockStore(path: string): () => void {
  const lockPath = `${path}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(lockPath, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw error;
      const holder = Number.parseInt(readLock(lockPath), 10);
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new MockStoreInUseError(
          `partnerflow: cannot start: another mock-mode process (pid ${holder}) uses the store ${displayPath(path)}, and mock mode erases its store at start; ` +
            `stop that one, or give this one a store of its own with --db (e.g. --db ${displayPath(join(dirname(path), 'mock-2.db'))})`,
        );
      }
      rmSync(lockPath, { force: true }); // its process is gone: the lock is stale
      continue;
    }
    writeSync(fd, String(process.pid));
    closeSync(fd);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      process.off('exit', release);
      // Only our own lock: never one another process took over after us.
      if (readLock(lockPath) === String(process.pid)) {
        try {
          unlinkSync(lockPath);
        } catch {
          // already gone
        }
      }
    };
    process.on('exit', release);
    return release;
  }
}

function readLock(lockPath: string): string {
  try {
    return readFileSync(lockPath, 'utf8').trim();
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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
