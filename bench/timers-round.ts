import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Recipe } from '../schemas/recipe.ts';
import { BusinessTimers } from '../server/engine/business-timers.ts';
import { systemClock } from '../server/engine/clock.ts';
import { newRunId } from '../server/engine/engine.ts';
import { RecipeSet, loadedRecipe } from '../server/engine/recipe-set.ts';
import { createTables } from '../server/engine/tables.ts';
import { openSqliteStore } from '../server/store/sqlite-store.ts';
import { productionEnv } from './production-env.ts';
import { peakRssMb, root, start, stop } from './server-process.ts';

/** The recipe whose timers are measured: the D14 reminder's trigger, with its offsets written out. */
const RECIPES_DIR = join(root, 'bench/timer-recipes');
const RECIPE = Recipe.parse(JSON.parse(readFileSync(join(RECIPES_DIR, 'bench-claim-reminder.recipe.json'), 'utf8')));
const DAY = 86_400_000;
/** Rows per transaction, for the baseline as for the timers (business-timers.ts fires 500 per transaction). */
const BATCH = 500;

export interface TimersResult {
  counts: number[];
  /** Per count: the runtime's peak RSS once ready with that many timers pending, and how long it took to be ready. */
  restarts: Array<{ pending: number; peakRssMb: number; readyMs: number }>;
  fired: number;
  firedPerSecond: number;
  baselinePerSecond: number;
}

/**
 * `timers` mode: `count` pending D14 timers written straight into a store file (one per record, as
 * the recompute leaves them), then (1) the runtime (`serve`) started on it: ready time and peak RSS,
 * for each count so that growth with the number of timers shows; (2) every timer made due and fired
 * into runs by the engine's own code (BusinessTimers.fireDue), timed against a bare SQLite insert of
 * the same number of rows in the same batches, on a file with the same durability settings.
 */
export async function timersRound(work: string, counts: number[]): Promise<TimersResult> {
  const restarts: TimersResult['restarts'] = [];
  let lastPath = '';
  for (const count of counts) {
    const path = join(work, `timers-${count}.db`);
    await seed(path, count, Date.now() + 30 * DAY);
    const server = await start(
      ['bin/partnerflow.js', 'serve', '--port', '0', '--db', path],
      { ...productionEnv('bench-webhook-secret-prm'), RECIPES_DIR, LOG_LEVEL: 'info' },
      (l) => (l.includes('partnerflow ready') ? (JSON.parse(l).port as number) : null),
    );
    // A moment of the worker loop with every timer pending: it must neither load nor fire them.
    await new Promise((r) => setTimeout(r, 1500));
    restarts.push({ pending: count, peakRssMb: peakRssMb(server.child.pid!), readyMs: server.readyMs });
    await stop(server.child);
    lastPath = path;
  }
  const count = counts[counts.length - 1]!;
  // Every timer due now: all come due together.
  const due = new Sqlite(lastPath);
  due.prepare('update business_timers set fire_at = ? where status = ?').run(Date.now() - 1000, 'pending');
  due.close();
  const store = await openSqliteStore({ path: lastPath });
  const recipes = new RecipeSet([loadedRecipe(RECIPE, 'bench-claim-reminder.recipe.json')], store);
  const tables = createTables({});
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  const timers = new BusinessTimers({ recipes, store, tables, log, env: () => ({ clock: systemClock, calendar: tables.calendar }), newRunId });
  const t0 = performance.now();
  let fired = 0;
  for (let n = -1; n !== 0; ) fired += n = await timers.fireDue(Date.now(), Number.MAX_SAFE_INTEGER);
  const fireMs = performance.now() - t0;
  await store.close();
  const baselineMs = bareInsert(join(work, 'baseline.db'), count);
  return { counts, restarts, fired, firedPerSecond: (fired / fireMs) * 1000, baselinePerSecond: (count / baselineMs) * 1000 };
}

/** A migrated store file with `count` pending timers of the bench recipe, one record each, firing at `fireAt`. */
async function seed(path: string, count: number, fireAt: number): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  const store = await openSqliteStore({ path });
  await store.close();
  const db = new Sqlite(path);
  db.pragma('journal_mode = WAL');
  const insert = db.prepare(
    `insert into business_timers (recipe, record_key, offset, offset_index, record_date, record_data, as_of, fire_at, status, reason, updated_at)
     values (?, ?, '14', 1, '2026-03-10', ?, null, ?, 'pending', null, ?)`,
  );
  const all = db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const key = `MDF-T${i}`;
      insert.run(RECIPE.name, key, JSON.stringify(record(key)), fireAt + (i % 1000), Date.now());
    }
  });
  all();
  db.close();
}

/** The record data a D14 timer keeps: the MDF request as its last event carried it. */
function record(mdfNumber: string) {
  return { mdfNumber, status: 'Approved', endDate: '2026-03-10', submittedByEmail: 'marketing@northwind.example', activityName: 'Cloud Summit Munich', amountRequested: 10000, updated: '2026-03-01 10:00:00' };
}

/** The baseline: `count` rows the size of a timer's run, inserted in transactions of BATCH rows, durability FULL. Milliseconds. */
function bareInsert(path: string, count: number): number {
  const db = new Sqlite(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('create table runs (id text primary key, recipe text not null, dedup_key text not null, trigger text not null, status text not null, wake_at integer, created_at integer not null)');
  const insert = db.prepare('insert into runs values (?, ?, ?, ?, ?, ?, ?)');
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const key = `MDF-T${i}`;
      const trigger = JSON.stringify({ type: 'timer', data: { key, date: '2026-03-10', offset: 14, record: record(key) } });
      insert.run(`run_${i}`, RECIPE.name, `timer:${key}:14:2026-03-10`, trigger, 'queued', Date.now(), Date.now());
    }
  });
  const t0 = performance.now();
  for (let from = 0; from < count; from += BATCH) batch(from, Math.min(count, from + BATCH));
  const elapsed = performance.now() - t0;
  db.close();
  return elapsed;
}
