import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { CONNECTORS } from '../connectors/index.ts';
import { createSimulatedSystems, SIMULATED_CREDENTIALS, SIMULATED_URLS } from '../mocks/simulated-systems.ts';
import { advanceTime } from '../server/engine/advance-time.ts';
import { VirtualClock } from '../server/engine/clock.ts';
import { ConnectorCatalog } from '../server/engine/connector-registry.ts';
import { loadTables } from '../server/engine/tables.ts';
import { keepHeapSmall } from '../server/cli/small-heap.ts';
import { harnessConfig } from '../server/harness/run-scenario.ts';
import { loadRecipes } from '../server/recipes/load-recipes.ts';
import { createRuntime } from '../server/runtime.ts';
import { openSqliteStore } from '../server/store/sqlite-store.ts';
import { DIGEST_AT, RECALL_AT } from './leads-seed.ts';
import { VIRTUAL_NOW_HEADER, type LeadsSystemsReport } from './leads-systems-report.ts';

/**
 * One measurement of the `leads` round, in a process of its own so that its peak RSS is its own, and
 * compiled by the round as the CLI is (bin/build-cli.js: a bundle, not tsx's loader, whose hooks and
 * source maps would add some 100 MB of resident memory that production never has):
 *   BENCH_SYSTEMS_URL=<url> node --expose-gc <bundle> <digest|bare-digest|recall> <leads> <partners> <work dir>
 * The simulated PRM, Marketo and email API run in another process (bench/leads-systems.ts, seeded
 * there) at BENCH_SYSTEMS_URL: this process holds the runtime alone, so its CPU time and RSS are the
 * runtime's. Its requests to the simulated hosts go there over loopback HTTP, each stamped with this
 * process's virtual time. Prints one line: `RESULT <json>` (LeadsMeasurement without what the
 * simulated systems saw, which the round adds from them).
 *   digest       the shipped lead-share-digest recipe, run by the runtime (engine, SQLite store file,
 *                connectors with their rate limits) on a virtual clock, at its 07:00 UTC fire time
 *   bare-digest  the baseline: the same leads read from the same simulated PRM in the same pages,
 *                grouped by partner in a bare loop, each partner read once and sent one email
 *   recall       the shipped lead-recall recipe at 07:30 on day 30 after the leads' Partner Synced Date
 */
export interface LeadsMeasurement extends LeadsSystemsReport {
  mode: string;
  leads: number;
  partners: number;
  /** Wall time from the fire time until the run (or the bare loop) ended: this process's own time. */
  wallMs: number;
  /** CPU time (user and system) this process spent meanwhile: on a shared machine, steadier than the wall time. */
  cpuMs: number;
  /**
   * Of the wall time, how long this process waited for the simulated systems (at least one request
   * sent and its answer's headers not yet back): their time, not the runtime's.
   */
  systemsWaitMs: number;
  /** The runtime's own time: the wall time less the waits for the simulated systems (its CPU, its commits, its pauses). */
  ownMs: number;
  /**
   * A bare durable commit's time on this disk, measured in this process before the run (one-row
   * better-sqlite3 inserts, WAL, synchronous FULL, as the store commits): the runtime journals each
   * step durably, so its wall time is its CPU time plus its commits at this cost.
   */
  commitMs: number;
  /** Virtual time that passed meanwhile: the waits the connectors' rate limits imposed (none for the baseline). */
  virtualMs: number;
  /** This process's peak RSS (VmHWM) at the end, and its RSS before the run (the runtime's process holds no simulated system). */
  peakRssMb: number;
  seededRssMb: number;
  /**
   * Live heap after a full collection, before and after the run: what the run left held (the runtime
   * should keep nothing), apart from the garbage that the peak RSS also counts.
   */
  liveHeapMb: { before: number; after: number };
  /** The run's status, and its error when it failed (the baseline: completed). */
  status: string;
}

const [mode = '', leadsArg = '', partnersArg = '', work = ''] = process.argv.slice(2);
const LEADS = Number(leadsArg);
const PARTNERS = Number(partnersArg);
if (!['digest', 'bare-digest', 'recall'].includes(mode) || !(LEADS > 0) || !(PARTNERS > 0) || !work) {
  console.error('usage: leads-measure.ts <digest|bare-digest|recall> <leads> <partners> <work dir>');
  process.exit(2);
}

// As `serve` runs (server/cli/small-heap.ts): V8's defaults let garbage pile up to several times what is live.
keepHeapSmall();

/** The live heap once the run ended, after a full collection (set by noteLiveHeap). */
let liveAfterRun = Number.NaN;

const rssMb = (field: 'VmRSS' | 'VmHWM') => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) / 1024;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

/** The repository: the round passes it, since this file runs compiled from the round's work folder. */
const root = process.env.PARTNERFLOW_ROOT ?? join(import.meta.dirname, '..');
const RECIPES_DIR = join(root, 'recipes');
const fireAt = mode === 'recall' ? RECALL_AT : DIGEST_AT;

const clock = new VirtualClock(fireAt - 3_600_000);
const systemsUrl = process.env.BENCH_SYSTEMS_URL;
if (!systemsUrl) throw new Error('bench leads: BENCH_SYSTEMS_URL (the simulated systems process) is not set');
const waits = routeToSimulatedSystems(systemsUrl);

const commitMs = bareCommitMs(join(work, `commits-${mode}-${LEADS}.db`), 200);
gc();
const seededRssMb = rssMb('VmRSS');
const liveBefore = process.memoryUsage().heapUsed / 1e6;
const started = performance.now();
waits.reset();
const cpuBefore = process.cpuUsage();
const status = mode === 'bare-digest' ? await bareDigest() : await runRecipe(mode === 'recall' ? 'lead-recall' : 'lead-share-digest');
const wallMs = performance.now() - started;
const systemsWaitMs = waits.total();
const cpu = process.cpuUsage(cpuBefore);
const virtualMs = clock.now() - fireAt;
const peakRssMb = rssMb('VmHWM');
if (mode === 'bare-digest') noteLiveHeap();

const result: Omit<LeadsMeasurement, keyof LeadsSystemsReport> = {
  mode,
  leads: LEADS,
  partners: PARTNERS,
  wallMs,
  cpuMs: (cpu.user + cpu.system) / 1000,
  systemsWaitMs,
  ownMs: wallMs - systemsWaitMs,
  commitMs,
  virtualMs: Math.max(0, virtualMs),
  peakRssMb,
  seededRssMb,
  liveHeapMb: { before: liveBefore, after: liveAfterRun },
  status,
};
console.log(`RESULT ${JSON.stringify(result)}`);
process.exit(0);

/**
 * The shipped recipe, alone, through the runtime as the harness builds it (mock mode: the connectors'
 * mock settings, rate limits included), on a SQLite store file with the runtime's durability: the
 * clock is moved to the recipe's fire time and then on by a minute at a time until its run ended (a
 * retry's backoff waits on the clock). Returns the run's status.
 */
async function runRecipe(name: string): Promise<string> {
  const config = harnessConfig({ RECIPES_DIR });
  const tables = loadTables(join(RECIPES_DIR, 'tables'));
  const all = await loadRecipes(RECIPES_DIR, { catalog: new ConnectorCatalog(CONNECTORS), tables: tables.names(), connectorConfigs: config.connectors });
  const recipes = all.filter((r) => r.definition.name === name);
  if (recipes.length !== 1) throw new Error(`bench leads: no recipe named ${name} in ${RECIPES_DIR}`);
  // A fresh store: a run left by an earlier measurement would be found done.
  const path = join(work, `${mode}-${LEADS}.db`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  const store = await openSqliteStore({ path });
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  // Mock mode (the connectors' mock settings, rate limits included) wants simulated systems: empty ones,
  // never reached (routeToSimulatedSystems sends the requests to the other process).
  const systems = createSimulatedSystems({ clock });
  const runtime = await createRuntime({ config, log: quiet, clock, store, recipes, tables, systems, interceptNetwork: false });
  try {
    await advanceTime(runtime.engine, clock, fireAt - clock.now());
    for (let minutes = 0; minutes < 24 * 60; minutes++) {
      const runs = await runtime.store.listRuns({ recipe: name, limit: 10 });
      const run = runs.find((r) => r.status !== 'queued' && r.status !== 'running' && r.status !== 'waiting');
      // A failed run says why: the round prints it.
      if (run && runs.length === 1) return run.error ? `${run.status}: ${run.error.stepKey ?? ''} ${run.error.message}` : run.status;
      await advanceTime(runtime.engine, clock, 60_000);
    }
    return 'not finished after a day';
  } finally {
    // Before the runtime closes: what it still holds counts.
    noteLiveHeap();
    await runtime.close();
  }
}

function noteLiveHeap(): void {
  gc();
  liveAfterRun = process.memoryUsage().heapUsed / 1e6;
}

/** Mean time of `count` one-row durable commits (WAL, synchronous FULL) on a fresh file at `path`. */
function bareCommitMs(path: string, count: number): number {
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  const db = new Sqlite(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('create table commits (n integer primary key, at integer not null)');
  const insert = db.prepare('insert into commits values (?, ?)');
  const started = performance.now();
  for (let n = 0; n < count; n++) insert.run(n, Date.now());
  const elapsed = performance.now() - started;
  db.close();
  return elapsed / count;
}

/**
 * The baseline: what the digest must do at the least, in a bare loop over the same simulated PRM and
 * email API in the same other process, reached the same way: the window's leads in pages of 500 with the same filter, grouped
 * by partner (all held: a bare loop need not stream), each partner read once, one email per partner
 * with its leads. No engine, no store, no journal, no rate limit, no validation.
 */
async function bareDigest(): Promise<string> {
  const prmHeaders = { authorization: `prm-key ${SIMULATED_CREDENTIALS.prm.apiKey}`, 'x-prm-tenantid': SIMULATED_CREDENTIALS.prm.tenantId };
  const from = new Date(DIGEST_AT - 86_400_000).toISOString();
  const to = new Date(DIGEST_AT).toISOString();
  const filter = `PartnerSyncedDate gt '${from}' and PartnerSyncedDate le '${to}'`;
  const byPartner = new Map<number, string[]>();
  for (let skip = 0; ; skip += 500) {
    const url = `${SIMULATED_URLS.prm}/Lead?${new URLSearchParams({ filter, orderby: 'Id asc', skip: String(skip), take: '500' })}`;
    const page = (await (await fetch(url, { headers: prmHeaders })).json()) as { data: { count: number; results: Array<Record<string, unknown>> } };
    for (const lead of page.data.results) {
      const partner = lead.partnerAccountId as number;
      let lines = byPartner.get(partner);
      if (!lines) byPartner.set(partner, (lines = []));
      lines.push(`${lead.firstName} ${lead.lastName} <${lead.email}>, ${lead.company}`);
    }
    if (skip + 500 >= page.data.count) break;
  }
  for (const [partnerId, lines] of byPartner) {
    const partner = (await (await fetch(`${SIMULATED_URLS.prm}/Account/${partnerId}`, { headers: prmHeaders })).json()) as { data: { name: string; contactEmail: string } };
    const res = await fetch(`${SIMULATED_URLS.email}/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-postmark-server-token': SIMULATED_CREDENTIALS.email.serverToken },
      body: JSON.stringify({ From: 'partners@vendor.example', To: partner.data.contactEmail, Subject: `${lines.length} new leads shared with ${partner.data.name}`, TextBody: lines.join('\n') }),
    });
    if (!res.ok) throw new Error(`bench leads: the email API answered ${res.status}: ${await res.text()}`);
  }
  return 'completed';
}

/**
 * Sends this process's requests to the simulated hosts (SIMULATED_URLS) to the simulated systems
 * process instead (its path prefixes: test/support/simulated-systems-server.ts), each stamped with the
 * virtual clock's time (VIRTUAL_NOW_HEADER). The runtime's connectors and the baseline both call the
 * global fetch, so both go through here at the same cost. Returns the time spent waiting for them: the
 * union of the intervals in which a request was out and its answer's headers not back (an answer's
 * body, a page of 500 leads over loopback, takes well under a millisecond more).
 */
function routeToSimulatedSystems(baseUrl: string): { total(): number; reset(): void } {
  const routes = (
    [
      ['prm', SIMULATED_URLS.prm],
      ['sf-login', SIMULATED_URLS.salesforceLogin],
      ['sf-org', SIMULATED_URLS.salesforceInstance],
      ['email', SIMULATED_URLS.email],
      ['marketo', SIMULATED_URLS.marketo],
    ] as const
  ).map(([prefix, url]) => [new URL(url).origin, `${baseUrl}/${prefix}`] as const);
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const route = routes.find(([origin]) => url.startsWith(origin));
    if (!route || input instanceof Request) return realFetch(input, init);
    const headers = new Headers(init?.headers);
    headers.set(VIRTUAL_NOW_HEADER, String(clock.now()));
    if (inFlight++ === 0) since = performance.now();
    const answered = () => {
      if (--inFlight === 0) waited += performance.now() - since;
    };
    const response = realFetch(route[1] + url.slice(route[0].length), { ...init, headers });
    response.then(answered, answered);
    return response;
  };
  let inFlight = 0;
  let since = 0;
  let waited = 0;
  return {
    total: () => waited + (inFlight > 0 ? performance.now() - since : 0),
    reset: () => {
      waited = 0;
      since = performance.now();
    },
  };
}
