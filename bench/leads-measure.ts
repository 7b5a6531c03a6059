import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { setupServer } from 'msw/node';
import { CONNECTORS } from '../connectors/index.ts';
import { createSimulatedSystems, SIMULATED_CREDENTIALS, SIMULATED_URLS, type SimulatedSystems } from '../mocks/simulated-systems.ts';
import { advanceTime } from '../server/engine/advance-time.ts';
import { VirtualClock } from '../server/engine/clock.ts';
import { ConnectorCatalog } from '../server/engine/connector-registry.ts';
import { loadTables } from '../server/engine/tables.ts';
import { keepHeapSmall } from '../server/cli/small-heap.ts';
import { harnessConfig } from '../server/harness/run-scenario.ts';
import { loadRecipes } from '../server/recipes/load-recipes.ts';
import { createRuntime } from '../server/runtime.ts';
import { openSqliteStore } from '../server/store/sqlite-store.ts';
import { DIGEST_AT, LEAD_EMAIL_PATTERN, leadEmail, partnerEmail, RECALL_AT, seedLeads } from './leads-seed.ts';

/**
 * One measurement of the `leads` round, in a process of its own so that its peak RSS is its own, and
 * compiled by the round as the CLI is (bin/build-cli.js: a bundle, not tsx's loader, whose hooks and
 * source maps would add some 100 MB of resident memory that production never has):
 *   node --expose-gc <bundle> <digest|bare-digest|recall> <leads> <partners> <work dir>
 * Seeds the simulated PRM (and Marketo for the recall) in this process, puts them on its network with
 * MSW (as the scenario harness does), and prints one line: `RESULT <json>` (LeadsMeasurement).
 *   digest       the shipped lead-share-digest recipe, run by the runtime (engine, SQLite store file,
 *                connectors with their rate limits) on a virtual clock, at its 07:00 UTC fire time
 *   bare-digest  the baseline: the same leads read from the same simulated PRM in the same pages,
 *                grouped by partner in a bare loop, each partner read once and sent one email
 *   recall       the shipped lead-recall recipe at 07:30 on day 30 after the leads' Partner Synced Date
 */
export interface LeadsMeasurement {
  mode: string;
  leads: number;
  partners: number;
  /** Wall time from the fire time until the run (or the bare loop) ended: this process's own time. */
  wallMs: number;
  /** CPU time (user and system) this process spent meanwhile: on a shared machine, steadier than the wall time. */
  cpuMs: number;
  /**
   * A bare durable commit's time on this disk, measured in this process before the run (one-row
   * better-sqlite3 inserts, WAL, synchronous FULL, as the store commits): the runtime journals each
   * step durably, so its wall time is its CPU time plus its commits at this cost.
   */
  commitMs: number;
  /** Virtual time that passed meanwhile: the waits the connectors' rate limits imposed (none for the baseline). */
  virtualMs: number;
  /** This process's peak RSS (VmHWM) at the end, and its RSS once the simulated systems were seeded (before the run). */
  peakRssMb: number;
  seededRssMb: number;
  /**
   * Live heap after a full collection, before and after the run: what the run left held (the simulated
   * mailbox keeps every email sent; the runtime should keep nothing), apart from the garbage that the
   * peak RSS also counts.
   */
  liveHeapMb: { before: number; after: number };
  /** The run's status, and its error when it failed (the baseline: completed). */
  status: string;
  /** Requests each simulated system received, by system. */
  calls: Record<string, number>;
  /** Marketo: identity calls, POST leads.json (createOrUpdate / updateOnly) calls, and the mock's refusals. */
  marketo: { identity: number; leadWrites: number; other: number; refused: { '606': number; '607': number; '615': number }; peakInFlight: number };
  /** Emails: to partners, to others (ops); partners with leads; leads named in no digest, in more than one, or in another partner's. */
  emails: { toPartners: number; other: number; partnersWithLeads: number; leadsMissing: number; leadsTwice: number; leadsMisdirected: number };
  /** Recall: leads with a Recalled Date in the PRM, and Marketo leads still suspended for a partner. */
  recall: { recalledInPrm: number; stillSuspendedInMarketo: number } | null;
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
// The recall's leads were synced in the day that ended 30 days before its fire time (D25).
const syncedBefore = mode === 'recall' ? RECALL_AT - 30 * 86_400_000 : DIGEST_AT;

const clock = new VirtualClock(fireAt - 3_600_000);
const systems = createSimulatedSystems({ clock });
seedLeads(systems, { leads: LEADS, partners: PARTNERS, syncedBefore, marketo: mode === 'recall' });

// Every request the simulated systems receive, counted by system and, for Marketo, by kind.
const calls: Record<string, number> = {};
const marketoCalls = { identity: 0, leadWrites: 0, other: 0 };
const hosts = Object.entries(SIMULATED_URLS).map(([name, url]) => [new URL(url).host, name.startsWith('salesforce') ? 'salesforce' : name] as const);
const server = setupServer(...systems.handlers);
server.events.on('request:start', ({ request }) => {
  const url = new URL(request.url);
  const system = hosts.find(([host]) => host === url.host)?.[1] ?? url.host;
  calls[system] = (calls[system] ?? 0) + 1;
  if (system !== 'marketo') return;
  if (url.pathname.startsWith('/identity/')) marketoCalls.identity += 1;
  else if (request.method === 'POST' && url.pathname === '/rest/v1/leads.json') marketoCalls.leadWrites += 1;
  else marketoCalls.other += 1;
});
server.listen({ onUnhandledRequest: 'error' });

const commitMs = bareCommitMs(join(work, `commits-${mode}-${LEADS}.db`), 200);
gc();
const seededRssMb = rssMb('VmRSS');
const liveBefore = process.memoryUsage().heapUsed / 1e6;
const started = performance.now();
const cpuBefore = process.cpuUsage();
const status = mode === 'bare-digest' ? await bareDigest(systems) : await runRecipe(mode === 'recall' ? 'lead-recall' : 'lead-share-digest');
const wallMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
const virtualMs = clock.now() - fireAt;
const peakRssMb = rssMb('VmHWM');
if (mode === 'bare-digest') noteLiveHeap();
server.close();

const result: LeadsMeasurement = {
  mode,
  leads: LEADS,
  partners: PARTNERS,
  wallMs,
  cpuMs: (cpu.user + cpu.system) / 1000,
  commitMs,
  virtualMs: Math.max(0, virtualMs),
  peakRssMb,
  seededRssMb,
  liveHeapMb: { before: liveBefore, after: liveAfterRun },
  status,
  calls,
  marketo: { ...marketoCalls, refused: systems.marketo.usage().refused, peakInFlight: systems.marketo.usage().peakInFlight },
  emails: checkDigests(systems, mode === 'recall'),
  recall: mode === 'recall' ? checkRecall(systems) : null,
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
 * The baseline: what the digest must do at the least, in a bare loop over the same simulated PRM on the
 * same network (MSW) and email API: the window's leads in pages of 500 with the same filter, grouped
 * by partner (all held: a bare loop need not stream), each partner read once, one email per partner
 * with its leads. No engine, no store, no journal, no rate limit, no validation.
 */
async function bareDigest(s: SimulatedSystems): Promise<string> {
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
 * Every digest checked: one email per partner with leads in the window, to its contact, and every lead
 * named in exactly one of them, its own partner's. (The recall sends none: any email is counted as other.)
 */
function checkDigests(s: SimulatedSystems, recall: boolean): LeadsMeasurement['emails'] {
  const partnerOf = new Map<string, number>();
  for (const p of s.prm.partners()) if (p.contactEmail) partnerOf.set(p.contactEmail, p.id);
  const seen = new Uint8Array(LEADS);
  let toPartners = 0;
  let other = 0;
  let misdirected = 0;
  for (const message of s.email.messages()) {
    const partnerId = message.to.length === 1 ? partnerOf.get(message.to[0]!) : undefined;
    if (partnerId === undefined || recall) {
      other += 1;
      continue;
    }
    toPartners += 1;
    for (const match of message.text.matchAll(LEAD_EMAIL_PATTERN)) {
      const n = Number(match[1]);
      if (n >= LEADS) continue;
      seen[n] = Math.min(2, seen[n]! + 1);
      if (1001 + (n % PARTNERS) !== partnerId) misdirected += 1;
    }
  }
  const partnersWithLeads = Math.min(PARTNERS, LEADS);
  let missing = 0;
  let twice = 0;
  if (!recall) for (const count of seen) count === 0 ? (missing += 1) : count > 1 ? (twice += 1) : 0;
  return { toPartners, other, partnersWithLeads, leadsMissing: missing, leadsTwice: twice, leadsMisdirected: misdirected };
}

/** The recall checked: every lead has a Recalled Date in the PRM, and no Marketo lead is still suspended for a partner (D25). */
function checkRecall(s: SimulatedSystems): LeadsMeasurement['recall'] {
  const recalledInPrm = s.prm.leads().filter((l) => l.recalledDate).length;
  const stillSuspendedInMarketo = s.marketo.leads().filter((l) => l.marketingSuspended === true || (l.impartnerPartnerAccount ?? null) !== null).length;
  return { recalledInPrm, stillSuspendedInMarketo };
}

// Referenced so that a reader sees where a lead's and partner's addresses come from.
void leadEmail;
void partnerEmail;
