import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: a plain JS module of the launcher, without types
import { ensureBuilt } from '../bin/build-cli.js';
import { RUNTIME_VARIABLES } from '../server/config.ts';
import { ingestRounds, type IngestResult } from './ingest-rounds.ts';
import type { LoadResult } from './load.ts';
import { digestCorrect, digestGrowth, LEADS_TARGETS, leadsRound, LINEAR_GROWTH_LIMIT, printLeads, recallCorrect, type LeadsResult } from './leads-round.ts';
import { mdfRound, type MdfResult } from './mdf-round.ts';
import { openLoopRound, sustainedRound, type SustainedResult } from './sustained-rounds.ts';
import { timersRound, type TimersResult } from './timers-round.ts';
import { consoleRound, type ConsoleResult } from './console-round.ts';
import { postgresMode, postgresTargetLines, printPostgres, type PostgresResult } from './bench-postgres.ts';

/**
 * `npm run bench`: six measurements of the runtime on this machine, each selectable.
 *   ingest     webhook ingest against a bare Hono + SQLite baseline, in alternating rounds
 *   sustained  a closed loop that never lets up: does execution keep pace with intake?
 *   open       deliveries on a fixed schedule: how long from acceptance to completion?
 *   mdf        the shipped MDF approval recipe against the simulated systems, deliveries on a fixed
 *              schedule: how long until a run's first email reaches the email API?
 *   timers     D14 business timers: the runtime's RSS and start with 10,000 and BENCH_TIMERS pending,
 *              then all of them fired together into runs, against a bare SQLite insert of as many rows
 *   console    the ops console's runs page with BENCH_CONSOLE_RUNS runs in the store: first page, filtered
 *              pages and a deep page through the cursor, against the same query on a bare connection
 *   leads      the D23 lead-share digest recipe over 10,000, half BENCH_LEADS and BENCH_LEADS leads across
 *              BENCH_LEAD_PARTNERS partners (time, peak RSS, growth, every lead in exactly one digest),
 *              against a bare loop over the same simulated PRM; then the D25 recall of BENCH_LEADS leads
 *              (Marketo calls, 606/615 refusals)
 *   postgres   issue 14: the runtime on PostgreSQL with 1, 2 and 3 replicas against a bare Hono handler doing
 *              one PostgreSQL INSERT per request, in alternating rounds of BENCH_SECONDS each: ingest,
 *              completed runs/s, CPU per completed run (runtime and PostgreSQL), 202 to first step.
 *              Not in the default list (about 6 minutes more); on an embedded PostgreSQL, or BENCH_DATABASE_URL
 * Each server runs in its own process; this process only generates load. Environment:
 *   BENCH_MODES (default ingest,sustained,open,mdf,timers,console,leads)
 *   BENCH_SECONDS (ingest, default 20), BENCH_ROUNDS (default 4), BENCH_CONNECTIONS (default 50),
 *   BENCH_WARMUP_SECONDS (each server, default 5), BENCH_PREPARED_PER_SECOND (default 6000),
 *   BENCH_SUSTAINED_SECONDS (default 60), BENCH_OPEN_SECONDS (default 30),
 *   BENCH_OPEN_RATE (deliveries a second; default half the accepted rate of the sustained round, 500 without it)
 *   BENCH_MDF_RATE (deliveries a second, default 1), BENCH_MDF_SECONDS (default 30); PRM_MAX_CALLS_PER_SECOND
 *   and PRM_MAX_CONCURRENT, when set, pace the PRM connector of the mdf round's runtime (else its defaults)
 *   BENCH_TIMERS (timers pending in the timers mode, default 100000)
 *   BENCH_CONSOLE_RUNS (runs in the store in the console mode, default 1000000), BENCH_CONSOLE_REQUESTS
 *   (requests per page, default 100)
 *   BENCH_LEADS (the leads mode's largest count, default 100000), BENCH_LEAD_PARTNERS (default 1000),
 *   BENCH_LEAD_RECALL (1 measures the recall too, the longest part of the mode; 0 leaves it out; default 1)
 *   BENCH_LEAD_CPU_PROF (a folder: a V8 CPU profile of each runtime measurement of the leads mode is written there)
 *   BENCH_DATABASE_URL (postgres: an existing server whose user may create databases; default an embedded one),
 *   BENCH_POSTGRES_OPEN_RATE (postgres: deliveries a second of the first-step latency's open loop; default half
 *   the 1-replica completed/s of the first round), BENCH_POSTGRES_OPEN_SECONDS (default 10)
 */
const env = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number of at least 0 (got "${process.env[name]}")`);
  return value;
};
const MODES = new Set((process.env.BENCH_MODES ?? 'ingest,sustained,open,mdf,timers,console,leads').split(',').map((m) => m.trim()).filter(Boolean));
for (const mode of MODES) if (!['ingest', 'sustained', 'open', 'mdf', 'timers', 'console', 'leads', 'postgres'].includes(mode)) throw new Error(`BENCH_MODES: unknown mode "${mode}" (ingest, sustained, open, mdf, timers, console, leads, postgres)`);
const CONSOLE_RUNS = env('BENCH_CONSOLE_RUNS', 1_000_000);
const CONSOLE_REQUESTS = Math.max(1, env('BENCH_CONSOLE_REQUESTS', 100));
const TIMERS = env('BENCH_TIMERS', 100_000);
const LEADS = env('BENCH_LEADS', 100_000);
const LEAD_PARTNERS = env('BENCH_LEAD_PARTNERS', 1000);
const LEAD_RECALL = env('BENCH_LEAD_RECALL', 1) > 0;
if (MODES.has('leads') && (LEADS < 1 || LEAD_PARTNERS < 1)) throw new Error('BENCH_LEADS and BENCH_LEAD_PARTNERS must be at least 1');
const SECONDS = env('BENCH_SECONDS', 20);
const CONNECTIONS = env('BENCH_CONNECTIONS', 50);
/** Requests built ahead per second of load: more than either server accepts on this machine. */
const PREPARED_PER_SECOND = env('BENCH_PREPARED_PER_SECOND', 6000);
/** Load before the measurement, so the servers are measured with their code optimised by the JIT. */
const WARMUP_SECONDS = env('BENCH_WARMUP_SECONDS', 5);
const ROUNDS = env('BENCH_ROUNDS', 4);
const POSTGRES_OPEN_RATE = process.env.BENCH_POSTGRES_OPEN_RATE === undefined ? null : Math.max(1, env('BENCH_POSTGRES_OPEN_RATE', 1));
const POSTGRES_OPEN_SECONDS = env('BENCH_POSTGRES_OPEN_SECONDS', 10);
const SUSTAINED_SECONDS = env('BENCH_SUSTAINED_SECONDS', 60);
const OPEN_SECONDS = env('BENCH_OPEN_SECONDS', 30);
const OPEN_RATE = process.env.BENCH_OPEN_RATE === undefined ? null : env('BENCH_OPEN_RATE', 0);
/**
 * Half of what the PRM budget sustains: a submission costs about 5 PRM calls (2 before the receipt, 3 in
 * its Salesforce sync run) against PRM_MAX_CALLS_PER_SECOND's default of 10. Faster, runs queue for the
 * PRM and the latency grows with the load's length, whatever the engine does.
 */
const MDF_RATE = env('BENCH_MDF_RATE', 1);
const MDF_SECONDS = env('BENCH_MDF_SECONDS', 30);
if (MODES.has('mdf') && MDF_RATE <= 0) throw new Error(`BENCH_MDF_RATE must be more than 0 deliveries a second (got "${process.env.BENCH_MDF_RATE}")`);
/** The runtime's default backpressure bound: the benchmark runs the runtime with its defaults. */
const MAX_DUE_BACKLOG = Number(RUNTIME_VARIABLES.MAX_DUE_BACKLOG.default);

const ms = (x: number) => `${Number.isFinite(x) ? x.toFixed(1) : '-'} ms`;
const verdict = (met: boolean) => (met ? 'met' : 'NOT met');

function line(name: string, r: LoadResult): string {
  return `${name.padEnd(10)} ${r.perSecond.toFixed(0).padStart(6)} accepted/s   p50 ${r.p50Ms.toFixed(1).padStart(6)} ms   p99 ${r.p99Ms.toFixed(1).padStart(6)} ms   refused ${r.refused}   errors ${r.errors}`;
}

function printIngest(r: IngestResult): void {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(line('baseline', r.baseline));
  console.log(line('runtime', r.runtime));
  console.log(`
ingest ratio (runtime / baseline):  ${(r.runtime.perSecond / r.baseline.perSecond).toFixed(2)}   (per round: ${r.ratios.map((x) => x.toFixed(2)).join(', ')})
runtime ingest p99:                 ${ms(r.runtime.p99Ms)}   (baseline ${ms(r.baseline.p99Ms)})
runtime peak RSS:                   ${r.runtimeRssMb.toFixed(0)} MB   (baseline ${r.baselineRssMb.toFixed(0)} MB)
runtime ready after spawn:          ${r.runtimeReadyMs.toFixed(0)} ms   (baseline ${r.baselineReadyMs.toFixed(0)} ms; target < 1000 ms)
accepted runs durably stored:       ${r.stored} of ${r.accepted} (warm-up included)${r.stored >= r.accepted ? '' : '   <-- LOST RUNS'}
runs executed:                      ${r.completed} completed; at the end of a round ${Math.round(mean(r.backlogs))} were not finished, done ${(mean(r.drains) / 1000).toFixed(1)} s later (mean)
`);
}

function printSustained(title: string, r: SustainedResult): void {
  const pace = r.completedPerSecond / r.load.perSecond;
  const costs =
    r.executeCpuPerRunMs === null
      ? `server CPU ${ms(r.cpuPerRunMs)} per run (ingest and execution); execution alone not timed (fewer than 500 runs left to drain)`
      : `server CPU ${ms(r.cpuPerRunMs)} per run: execution ${ms(r.executeCpuPerRunMs)} (timed while the backlog drained), ingest about ${ms(r.cpuPerRunMs - r.executeCpuPerRunMs)}`;
  console.log(`${title}
  accepted/s ${r.load.perSecond.toFixed(0)}   completed/s during the load ${r.completedPerSecond.toFixed(0)} (${pace.toFixed(2)} of accepted)   refused ${r.load.refused}   errors ${r.load.errors}
  backlog at the end ${r.backlogAtEnd} runs not finished (drained ${(r.drainMs / 1000).toFixed(1)} s later)
  accept-to-completed p50 ${ms(r.acceptToCompleted.p50Ms)}   p99 ${ms(r.acceptToCompleted.p99Ms)}   (${r.acceptToCompleted.runs} runs)
  ingest p50 ${ms(r.load.p50Ms)}   p99 ${ms(r.load.p99Ms)}   peak RSS ${r.peakRssMb.toFixed(0)} MB
  ${costs}; one core at that cost: ${(1000 / r.cpuPerRunMs).toFixed(0)} runs/s
`);
}

/** Issue 11's target for the MDF approval recipe: the run's first email within 1 s, p99. */
const mdfMet = (r: MdfResult) => r.firstEmail.p99Ms < 1000;

function printMdf(r: MdfResult): void {
  // A delivery whose first email never came within the grace time counts as infinitely late.
  const late = (x: number) => (x === Infinity ? `none within ${(r.graceMs / 1000).toFixed(0)} s` : ms(x));
  console.log(`mdf: MDF approval recipe (recipes/) against the simulated systems, ${r.rate} deliveries/s on a schedule, ${r.seconds.toFixed(0)} s
  accepted/s ${(r.accepted / r.seconds).toFixed(1)}   emails/s during the load ${(r.emailsDuringLoad / r.seconds).toFixed(1)} (receipts and approval requests)   refused ${r.refused}   errors ${r.errors}
  due-to-first-email p50 ${late(r.firstEmail.p50Ms)}   p99 ${late(r.firstEmail.p99Ms)}   max ${late(r.firstEmail.maxMs)}   (${r.sent} deliveries, ${r.withoutEmail} without a first email ${(r.graceMs / 1000).toFixed(0)} s after the load)
  runs started ${r.runsStarted} of ${r.accepted} accepted   peak RSS ${r.peakRssMb.toFixed(0)} MB
  PRM calls/s during the load ${r.prmCallsPerSecond.toFixed(1)}; the PRM connector starts at most ${r.prmLimits.callsPerSecond} a second (PRM_MAX_CALLS_PER_SECOND), ${r.prmLimits.concurrent} at once (PRM_MAX_CONCURRENT)${r.prmCallsPerSecond >= 0.9 * r.prmLimits.callsPerSecond ? ': at its limit, runs queue behind the PRM' : ''}
  first email within 1 s p99: ${verdict(mdfMet(r))}
`);
}

/** Issue 12's targets for business timers. */
const timersMet = (r: TimersResult) => ({
  rss: r.restarts.every((x) => x.peakRssMb < 150),
  flat: r.restarts.length < 2 || r.restarts[r.restarts.length - 1]!.peakRssMb - r.restarts[0]!.peakRssMb < 15,
  rate: r.firedPerSecond >= 5000,
  ready: r.restarts.every((x) => x.readyMs < 1000),
});

function printTimers(r: TimersResult): void {
  console.log(`timers: D14 business timers pending in the store, then due together
${r.restarts.map((x) => `  ${String(x.pending).padStart(7)} pending: runtime ready after ${x.readyMs.toFixed(0)} ms, peak RSS ${x.peakRssMb.toFixed(0)} MB`).join('\n')}
  fired ${r.fired} into runs at ${r.firedPerSecond.toFixed(0)}/s; bare SQLite insert of as many rows ${r.baselinePerSecond.toFixed(0)}/s (ratio ${(r.firedPerSecond / r.baselinePerSecond).toFixed(2)})
`);
}

/** Issue 15's target: the runs page under 100 ms with 1,000,000 runs in the store, every page asked for, p99. */
const consoleMet = (r: ConsoleResult) => r.pages.every((p) => p.p99Ms < 100);

function printConsole(r: ConsoleResult): void {
  console.log(`console: the runs page with ${r.runs.toLocaleString('en')} runs in the store (seeded in ${(r.seedMs / 1000).toFixed(1)} s), ${r.requestsPerPage} requests per page, logged in
${r.pages.map((p) => `  ${p.name.padEnd(20)} p50 ${ms(p.p50Ms).padStart(9)}   p99 ${ms(p.p99Ms).padStart(9)}   in the runtime p50 ${ms(p.serverP50Ms).padStart(9)} p99 ${ms(p.serverP99Ms).padStart(9)}   (${p.rows} rows; the bare store query p50 ${ms(p.baselineP50Ms)}, ratio ${(p.p50Ms / p.baselineP50Ms).toFixed(1)})   ${p.path}`).join('\n')}
  runtime ready after ${r.readyMs.toFixed(0)} ms, peak RSS ${r.peakRssMb.toFixed(0)} MB
`);
}

async function main(): Promise<void> {
  // Compile the CLI first, so that "ready after spawn" measures a start, not a build.
  await ensureBuilt();
  const work = mkdtempSync(join(tmpdir(), 'partnerflow-bench-'));
  console.log(`Partnerflow benchmark: ${[...MODES].join(', ')}; ${CONNECTIONS} connections, ${WARMUP_SECONDS} s of warm-up per server, Node ${process.version}\n`);
  let ingest: IngestResult | null = null;
  let sustained: SustainedResult | null = null;
  let open: SustainedResult | null = null;
  let mdf: MdfResult | null = null;
  let timers: TimersResult | null = null;
  let consolePages: ConsoleResult | null = null;
  let leads: LeadsResult | null = null;
  let postgres: PostgresResult | null = null;
  let openRate = OPEN_RATE;
  try {
    if (MODES.has('ingest')) {
      console.log(`ingest: ${SECONDS} s per server in ${ROUNDS} alternating rounds`);
      ingest = await ingestRounds(work, { connections: CONNECTIONS, seconds: SECONDS, rounds: ROUNDS, warmupSeconds: WARMUP_SECONDS, preparedPerSecond: PREPARED_PER_SECOND });
      printIngest(ingest);
    }
    if (MODES.has('sustained')) {
      sustained = await sustainedRound(work, { connections: CONNECTIONS, seconds: SUSTAINED_SECONDS, warmupSeconds: WARMUP_SECONDS, preparedPerSecond: PREPARED_PER_SECOND });
      printSustained(`sustained: closed loop, ${CONNECTIONS} connections, ${SUSTAINED_SECONDS} s`, sustained);
    }
    if (MODES.has('open')) {
      openRate ??= sustained ? Math.max(1, Math.round(sustained.load.perSecond / 2)) : 500;
      open = await openLoopRound(work, { rate: openRate, seconds: OPEN_SECONDS, warmupSeconds: WARMUP_SECONDS });
      printSustained(`open loop: ${openRate} deliveries/s on a schedule${OPEN_RATE === null && sustained ? ' (half the sustained accepted rate)' : ''}, ${OPEN_SECONDS} s`, open);
    }
    if (MODES.has('mdf')) {
      mdf = await mdfRound(work, { rate: MDF_RATE, seconds: MDF_SECONDS, warmupSeconds: WARMUP_SECONDS });
      printMdf(mdf);
    }
    if (MODES.has('timers')) {
      timers = await timersRound(work, [...new Set([Math.min(10_000, TIMERS), TIMERS])]);
      printTimers(timers);
    }
    if (MODES.has('console')) {
      consolePages = await consoleRound(work, CONSOLE_RUNS, CONSOLE_REQUESTS);
      printConsole(consolePages);
    }
    if (MODES.has('leads')) {
      const counts = [...new Set([Math.min(10_000, LEADS), Math.max(Math.min(10_000, LEADS), Math.round(LEADS / 2)), LEADS])];
      leads = await leadsRound(work, { counts, partners: LEAD_PARTNERS, recall: LEAD_RECALL });
      printLeads(leads);
    }
    if (MODES.has('postgres')) {
      console.log(`postgres: ${SECONDS} s per server and replica count in ${ROUNDS} alternating rounds`);
      postgres = await postgresMode({ connections: CONNECTIONS, seconds: SECONDS / ROUNDS, rounds: ROUNDS, warmupSeconds: WARMUP_SECONDS, preparedPerSecond: PREPARED_PER_SECOND, openRate: POSTGRES_OPEN_RATE, openSeconds: POSTGRES_OPEN_SECONDS });
      printPostgres(postgres);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  // The targets of issue 11, each met or not in this run.
  const targets: string[] = [];
  const notRun = (mode: string) => `not measured (mode ${mode} not run)`;
  targets.push(
    `steady state, completed/s >= 0.8 x accepted/s under sustained load:  ${sustained ? `${verdict(sustained.completedPerSecond >= 0.8 * sustained.load.perSecond)} (${(sustained.completedPerSecond / sustained.load.perSecond).toFixed(2)})` : notRun('sustained')}`,
    `backpressure, backlog bounded by MAX_DUE_BACKLOG (${MAX_DUE_BACKLOG}):              ${sustained ? `${verdict(sustained.backlogAtEnd <= MAX_DUE_BACKLOG)} (${sustained.backlogAtEnd} at the end, ${sustained.load.refused} deliveries refused)` : notRun('sustained')}`,
    `latency, open loop at half the max, accept-to-completed p99 < 100 ms:  ${open ? `${verdict(open.acceptToCompleted.p99Ms < 100)} (${ms(open.acceptToCompleted.p99Ms)} at ${openRate}/s${OPEN_RATE === null && sustained ? '' : ', rate set by hand'})` : notRun('open')}`,
    `latency, MDF approval recipe, first email within 1 s p99:               ${mdf ? `${verdict(mdfMet(mdf))} (${Number.isFinite(mdf.firstEmail.p99Ms) ? ms(mdf.firstEmail.p99Ms) : `past ${(mdf.graceMs / 1000).toFixed(0)} s`} at ${mdf.rate}/s)` : notRun('mdf')}`,
    `memory, peak RSS < 150 MB through sustained load:                      ${sustained ? `${verdict(sustained.peakRssMb < 150)} (${sustained.peakRssMb.toFixed(0)} MB)` : notRun('sustained')}`,
    `ingest at FULL durability >= 1.0 x the one-insert baseline:            ${ingest ? `${verdict(ingest.runtime.perSecond >= ingest.baseline.perSecond)} (${(ingest.runtime.perSecond / ingest.baseline.perSecond).toFixed(2)})` : notRun('ingest')}`,
    `ingest p99 < 50 ms:                                                    ${ingest ? `${verdict(ingest.runtime.p99Ms < 50)} (${ms(ingest.runtime.p99Ms)})` : notRun('ingest')}`,
    `timers, peak RSS < 150 MB with ${TIMERS} pending, flat in their number:  ${timers ? `${verdict(timersMet(timers).rss && timersMet(timers).flat)} (${timers.restarts.map((x) => `${x.peakRssMb.toFixed(0)} MB at ${x.pending}`).join(', ')})` : notRun('timers')}`,
    `timers, fired >= 5,000/s when due together:                            ${timers ? `${verdict(timersMet(timers).rate)} (${timers.firedPerSecond.toFixed(0)}/s, ${(timers.firedPerSecond / timers.baselinePerSecond).toFixed(2)} x a bare insert)` : notRun('timers')}`,
    `timers, restart with them pending ready < 1 s:                          ${timers ? `${verdict(timersMet(timers).ready)} (${timers.restarts.map((x) => `${x.readyMs.toFixed(0)} ms`).join(', ')})` : notRun('timers')}`,
    `console, runs page p99 < 100 ms with ${CONSOLE_RUNS.toLocaleString('en')} runs, every page:     ${consolePages ? `${verdict(consoleMet(consolePages))} (worst p99 ${ms(Math.max(...consolePages.pages.map((p) => p.p99Ms)))})` : notRun('console')}`,
  );
  const largest = leads?.digests.at(-1);
  targets.push(
    `leads, digest of ${LEADS} leads over ${LEAD_PARTNERS} partners < ${LEADS_TARGETS.digestSeconds} s, right result: ${largest ? `${verdict(largest.runtime.ownMs < LEADS_TARGETS.digestSeconds * 1000 && digestCorrect(largest.runtime))} (${(largest.runtime.ownMs / 1000).toFixed(2)} s of the runtime's own time, ${(largest.runtime.wallMs / 1000).toFixed(2)} s wall with the simulated systems' answers, ${(largest.runtime.ownMs / largest.baseline.ownMs).toFixed(1)} x the bare loop${digestCorrect(largest.runtime) ? '' : ', WRONG RESULT'})` : notRun('leads')}`,
    `leads, digest peak RSS < ${LEADS_TARGETS.digestRssMb} MB:                                      ${largest ? `${verdict(largest.runtime.peakRssMb < LEADS_TARGETS.digestRssMb)} (${largest.runtime.peakRssMb.toFixed(0)} MB, the runtime's process alone)` : notRun('leads')}`,
    `leads, digest time per lead grows linearly (<= ${LINEAR_GROWTH_LIMIT} x from ${Math.min(10_000, LEADS)}):          ${leads && leads.digests.length > 1 ? `${verdict(digestGrowth(leads, 'ownMs') <= LINEAR_GROWTH_LIMIT)} (${digestGrowth(leads, 'ownMs').toFixed(2)})` : notRun('leads')}`,
    `leads, recall: <= ${LEADS_TARGETS.recallCalls} Marketo update calls, no 606/615, all recalled:  ${leads?.recall ? `${verdict(leads.recall.marketo.leadWrites <= LEADS_TARGETS.recallCalls && leads.recall.marketo.refused['606'] + leads.recall.marketo.refused['615'] === 0 && recallCorrect(leads.recall))} (${leads.recall.marketo.leadWrites} updates + ${leads.recall.marketo.identity} token + ${leads.recall.marketo.other} other, 606: ${leads.recall.marketo.refused['606']}, 615: ${leads.recall.marketo.refused['615']}${recallCorrect(leads.recall) ? '' : ', WRONG RESULT'})` : LEAD_RECALL ? notRun('leads') : 'not measured (BENCH_LEAD_RECALL=0)'}`,
  );
  if (postgres) targets.push(...postgresTargetLines(postgres));
  console.log(`targets:\n${targets.map((t) => `  ${t}`).join('\n')}`);
  if (ingest && ingest.stored < ingest.accepted) process.exitCode = 1;
}

await main();
