import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { openSqliteStore } from '../server/store/sqlite-store.ts';
import { percentile } from './load.ts';
import { productionEnv } from './production-env.ts';
import { peakRssMb, root, start, stop } from './server-process.ts';

const API_TOKEN = 'bench-api-token-0123456789';
const DAY = 86_400_000;
/** Recipe names the seeded runs are spread over (the runtime need not serve them to list them). */
const RECIPES = ['mdf-request-approval', 'mdf-request-salesforce-sync', 'mdf-claim-intake', 'lead-routing', 'mdf-claim-reminder'];
/** Rows per insert transaction while seeding. */
const SEED_BATCH = 20_000;

/** One page of the console timed: its path, what it asks, and the latencies of its requests. */
export interface ConsolePageTiming {
  name: string;
  path: string;
  p50Ms: number;
  p99Ms: number;
  /** The time the runtime itself spent on the page (its Server-Timing header), without loopback and this process. */
  serverP50Ms: number;
  serverP99Ms: number;
  /** The same page's store query on a bare better-sqlite3 connection (the floor under the page), p50. */
  baselineP50Ms: number;
  rows: number;
}

export interface ConsoleResult {
  runs: number;
  seedMs: number;
  requestsPerPage: number;
  pages: ConsolePageTiming[];
  peakRssMb: number;
  readyMs: number;
}

/** A run id as the engine makes them (`newRunId`): creation time in base 36, then random hex, so ids sort by time. */
function runId(ms: number, i: number): string {
  return `run_${ms.toString(36).padStart(10, '0')}${(i * 2654435761 % 0xffffffff).toString(16).padStart(8, '0')}0000`;
}

/**
 * `console` mode: `count` runs written straight into a migrated store file (30 days of runs of five
 * recipes, 1% failed, 1% waiting on an approval with their journal entry, business keys shared by
 * about three runs each), then the runtime (`serve`, production settings) started on it and the
 * console's runs page asked for, logged in, `requests` times each: the first page, filtered by status,
 * by recipe and status, by business key, and a deep page through the cursor half way down. Each page's
 * store query is also timed on a bare connection to the same file: the floor under the page.
 */
export async function consoleRound(work: string, count: number, requests: number): Promise<ConsoleResult> {
  const path = join(work, 'console.db');
  const now = Date.now();
  const t0 = performance.now();
  const picks = await seed(path, count, now);
  const seedMs = performance.now() - t0;

  const server = await start(
    ['bin/partnerflow.js', 'serve', '--port', '0', '--db', path],
    { ...productionEnv('bench-webhook-secret-prm'), RECIPES_DIR: join(root, 'bench/recipes'), LOG_LEVEL: 'info' },
    (l) => (l.includes('partnerflow ready') ? (JSON.parse(l).port as number) : null),
  );
  const base = `http://127.0.0.1:${server.port}`;
  try {
    const cookie = await logIn(base);
    const cases: Array<{ name: string; path: string; sql: string; params: unknown[] }> = [
      { name: 'first page', path: '/console/runs', sql: 'select * from runs order by id desc limit 51', params: [] },
      { name: 'status failed', path: '/console/runs?status=failed', sql: 'select * from runs where status = ? order by id desc limit 51', params: ['failed'] },
      { name: 'recipe and status', path: `/console/runs?recipe=${RECIPES[2]}&status=failed`, sql: 'select * from runs where recipe = ? and status = ? order by id desc limit 51', params: [RECIPES[2], 'failed'] },
      { name: 'business key', path: `/console/runs?key=${picks.key}`, sql: 'select * from runs where correlation_key = ? order by id desc limit 51', params: [picks.key] },
      { name: 'deep page (cursor)', path: `/console/runs?before=${picks.middleId}`, sql: 'select * from runs where id < ? order by id desc limit 51', params: [picks.middleId] },
      { name: 'waiting, deep', path: `/console/runs?status=waiting&before=${picks.middleId}`, sql: 'select * from runs where status = ? and id < ? order by id desc limit 51', params: ['waiting', picks.middleId] },
    ];
    const bare = new Sqlite(path, { readonly: true });
    const pages: ConsolePageTiming[] = [];
    for (const c of cases) {
      // Warm-up: the first requests load the console's module and fill the page cache.
      for (let i = 0; i < 20; i++) await page(base, c.path, cookie);
      const times: number[] = [];
      const server: number[] = [];
      let rows = 0;
      for (let i = 0; i < requests; i++) {
        const r = await page(base, c.path, cookie);
        times.push(r.ms);
        server.push(r.serverMs);
        rows = r.rows;
      }
      server.sort((a, b) => a - b);
      const statement = bare.prepare(c.sql);
      const floor: number[] = [];
      for (let i = 0; i < requests; i++) {
        const q0 = performance.now();
        statement.all(...c.params);
        floor.push(performance.now() - q0);
      }
      times.sort((a, b) => a - b);
      floor.sort((a, b) => a - b);
      pages.push({ name: c.name, path: c.path, p50Ms: percentile(times, 0.5), p99Ms: percentile(times, 0.99), serverP50Ms: percentile(server, 0.5), serverP99Ms: percentile(server, 0.99), baselineP50Ms: percentile(floor, 0.5), rows });
    }
    bare.close();
    return { runs: count, seedMs, requestsPerPage: requests, pages, peakRssMb: peakRssMb(server.child.pid!), readyMs: server.readyMs };
  } finally {
    await stop(server.child);
  }
}

/** Logs in through the console's form (as a browser does) and returns the session cookie. */
async function logIn(base: string): Promise<string> {
  const form = await fetch(`${base}/console/login`);
  const loginCookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const nonce = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const res = await fetch(`${base}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie },
    body: new URLSearchParams({ csrf: nonce, next: '/console/runs', token: API_TOKEN }).toString(),
  });
  const session = res.headers.getSetCookie().find((c) => c.startsWith('pf_console='));
  if (res.status !== 303 || !session) throw new Error(`console login failed: HTTP ${res.status}`);
  return session.split(';')[0]!;
}

async function page(base: string, path: string, cookie: string): Promise<{ ms: number; serverMs: number; rows: number }> {
  const t0 = performance.now();
  const res = await fetch(`${base}${path}`, { headers: { cookie } });
  const html = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
  const serverMs = Number(/dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1] ?? NaN);
  return { ms, serverMs, rows: (html.match(/<tr>\n<td><a href="\/console\/runs\//g) ?? []).length };
}

/**
 * A migrated store file with `count` runs created over the 30 days before `now`, oldest first. Returns
 * a business key to filter by and the id half way down the list (a deep page's cursor).
 */
async function seed(path: string, count: number, now: number): Promise<{ key: string; middleId: string }> {
  mkdirSync(join(path, '..'), { recursive: true });
  const store = await openSqliteStore({ path });
  await store.close();
  const db = new Sqlite(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insertRun = db.prepare(
    `insert into runs (id, recipe, recipe_version, recipe_hash, trigger, dedup_key, correlation_key, cancel_on_event, status, wake_at, poked, lease_owner, lease_until, error, created_at, updated_at, finished_at)
     values (?, ?, 3, ?, ?, ?, ?, null, ?, null, 0, null, null, ?, ?, ?, ?)`,
  );
  const insertWait = db.prepare(
    `insert into journal (run_id, step_key, step_id, step_type, status, input, output, error, attempts, started_at, finished_at, next_attempt_at, wait, wait_signal, wait_event, wait_key, notes)
     values (?, 'decision', 'decision', 'wait_for', 'waiting', null, null, null, 1, ?, null, null, ?, 'decision', null, null, '[]')`,
  );
  const start = now - 30 * DAY;
  const step = (30 * DAY) / count;
  const failure = JSON.stringify({ name: 'ConnectorError', message: 'prm.get_mdf_request: HTTP 503 from the PRM', stepKey: 'request' });
  let middleId = '';
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const created = Math.floor(start + i * step);
      const id = runId(created, i);
      if (i === Math.floor(count / 2)) middleId = id;
      const recipe = RECIPES[i % RECIPES.length]!;
      const key = `MDF-${String(Math.floor(i / 3)).padStart(7, '0')}`;
      const status = i % 100 === 7 ? 'failed' : i % 100 === 42 ? 'waiting' : 'completed';
      const trigger = JSON.stringify({ type: 'webhook', event: 'prm.mdf_request.submitted', source: 'prm', deliveryId: `d-${i}`, receivedAt: created, data: { mdfNumber: key, status: 'Open', activityName: 'Cloud Summit Munich' } });
      const finished = status === 'waiting' ? null : created + 1500;
      insertRun.run(id, recipe, `hash-${recipe}`, trigger, `d-${i}`, key, status, status === 'failed' ? failure : null, created, finished ?? created, finished);
      if (status === 'waiting') insertWait.run(id, created + 1000, JSON.stringify({ kind: 'signal', signal: 'decision', deadline: now + 2 * DAY }));
    }
  });
  for (let from = 0; from < count; from += SEED_BATCH) batch(from, Math.min(count, from + SEED_BATCH));
  db.close();
  return { key: `MDF-${String(Math.floor(count / 2 / 3)).padStart(7, '0')}`, middleId };
}
