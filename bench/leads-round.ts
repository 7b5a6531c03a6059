import { spawn } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { LeadsMeasurement } from './leads-measure.ts';
import type { LeadsSystemsReport } from './leads-systems-report.ts';
import { root } from './server-process.ts';

/** What the leads round measured (issue 13, Speed). */
export interface LeadsResult {
  partners: number;
  /** Per lead count: the digest run by the runtime, and the bare loop over the same data (the baseline). */
  digests: Array<{ leads: number; runtime: LeadsMeasurement; baseline: LeadsMeasurement }>;
  recall: LeadsMeasurement | null;
}

/** Issue 13's limits: the digest's time and memory, the recall's Marketo calls (300 a batch, plus one token). */
export const LEADS_TARGETS = { digestSeconds: 10, digestRssMb: 200, recallCalls: 334 };
/**
 * "Grows linearly": the time per lead at the largest count at most this many times that at 10,000. A
 * straight line through the origin gives 1; a fixed start-up cost gives less; anything that grows with
 * the square of the leads (a scan per lead, a journal replayed per step) gives about 10. 1.5 leaves room
 * for the noise of one run on a shared machine.
 */
export const LINEAR_GROWTH_LIMIT = 1.5;

/**
 * `leads` mode: the shipped lead-share digest (D23) and lead recall (D25) recipes against the simulated
 * PRM, Marketo and email API, each measurement in a fresh process (bench/leads-measure.ts, compiled like
 * the CLI) so that its CPU time and peak RSS are its own, with the simulated systems in a fresh process
 * of their own (bench/leads-systems.ts) that it reaches over loopback HTTP. For each lead count, the bare-loop baseline and the runtime's
 * digest are measured one after the other; then the recall of the largest count.
 */
export async function leadsRound(work: string, o: { counts: number[]; partners: number; recall: boolean }): Promise<LeadsResult> {
  const bundle = await buildMeasure();
  try {
    const digests: LeadsResult['digests'] = [];
    for (const leads of o.counts) {
      const baseline = await measure(bundle, 'bare-digest', leads, o.partners, work);
      const runtime = await measure(bundle, 'digest', leads, o.partners, work);
      digests.push({ leads, runtime, baseline });
    }
    const recall = o.recall ? await measure(bundle, 'recall', Math.max(...o.counts), o.partners, work) : null;
    return { partners: o.partners, digests, recall };
  } finally {
    // A profile's line numbers are the bundle's: it is kept beside the profiles.
    if (process.env.BENCH_LEAD_CPU_PROF) cpSync(bundle.measure, join(process.env.BENCH_LEAD_CPU_PROF, 'measure.mjs'));
    rmSync(dirname(bundle.measure), { recursive: true, force: true });
  }
}

/**
 * Compiles bench/leads-measure.ts into one file, as bin/build-cli.js compiles the CLI, into dist/ beside
 * it: an ES module finds the native better-sqlite3 in the node_modules of a folder above it.
 */
async function buildMeasure(): Promise<{ measure: string; systems: string }> {
  const { build } = await import('esbuild');
  const outdir = join(root, 'dist', `bench-leads-${process.pid}`);
  await build({
    entryPoints: { measure: join(root, 'bench/leads-measure.ts'), systems: join(root, 'bench/leads-systems.ts') },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['better-sqlite3', 'tsx', 'tsx/*', 'esbuild'],
    banner: { js: "import { createRequire as __partnerflowRequire } from 'node:module'; const require = __partnerflowRequire(import.meta.url);" },
    logLevel: 'error',
  });
  return { measure: join(outdir, 'measure.mjs'), systems: join(outdir, 'systems.mjs') };
}

/**
 * One measurement: the simulated systems seeded in a process of their own, then the measurement in its
 * own process against them (its last `RESULT` line), then what the simulated systems saw.
 */
async function measure(bundle: { measure: string; systems: string }, mode: string, leads: number, partners: number, work: string): Promise<LeadsMeasurement> {
  console.log(`leads: ${mode} of ${leads} leads...`);
  const systems = spawn(process.execPath, [bundle.systems, mode, String(leads), String(partners)], {
    cwd: root,
    env: { ...process.env, PARTNERFLOW_ROOT: root },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => systems.once('exit', resolve));
  const nextMessage = <T>() =>
    Promise.race([
      new Promise<T>((resolve) => systems.once('message', (m) => resolve(m as T))),
      exited.then((code) => Promise.reject(new Error(`bench leads: the simulated systems of the ${mode} of ${leads} leads exited with ${code}`))),
    ]);
  try {
    const { baseUrl } = await nextMessage<{ baseUrl: string }>();
    // BENCH_LEAD_CPU_PROF=<dir>: a V8 CPU profile of each runtime measurement (not the baseline's) into that folder.
    const profile = process.env.BENCH_LEAD_CPU_PROF && mode !== 'bare-digest' ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_LEAD_CPU_PROF}`, `--cpu-prof-name=${mode}-${leads}.cpuprofile`] : [];
    const child = spawn(process.execPath, [...profile, '--expose-gc', bundle.measure, mode, String(leads), String(partners), work], {
      cwd: root,
      env: { ...process.env, PARTNERFLOW_ROOT: root, BENCH_SYSTEMS_URL: baseUrl },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    type Own = Omit<LeadsMeasurement, keyof LeadsSystemsReport>;
    let result: Own | null = null;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7)) as Own;
      else console.log(line);
    });
    const own = await new Promise<Own>((resolve, reject) =>
      child.once('close', (code) => (result ? resolve(result) : reject(new Error(`bench leads: ${mode} of ${leads} leads exited with ${code} without a result`)))),
    );
    const seen = nextMessage<LeadsSystemsReport>();
    systems.send('check');
    return { ...own, ...(await seen) };
  } finally {
    systems.kill();
  }
}

/** Time per lead at the largest count over that at the smallest (wall time; `cpu`: CPU time). */
export function digestGrowth(r: LeadsResult, time: 'wallMs' | 'cpuMs' | 'ownMs' = 'wallMs'): number {
  const first = r.digests[0]!;
  const last = r.digests[r.digests.length - 1]!;
  return last.runtime[time] / last.leads / (first.runtime[time] / first.leads);
}

/** Whether a digest measurement computed the right thing: one email per partner with leads, each lead in exactly one, its partner's. */
export function digestCorrect(m: LeadsMeasurement): boolean {
  const e = m.emails;
  return m.status === 'completed' && e.toPartners === e.partnersWithLeads && e.other === 0 && e.leadsMissing === 0 && e.leadsTwice === 0 && e.leadsMisdirected === 0;
}

/** Whether the recall took back every lead: each marked in the PRM, none left suspended in Marketo, nothing sent. */
export function recallCorrect(m: LeadsMeasurement): boolean {
  return m.status === 'completed' && m.recall !== null && m.recall.recalledInPrm === m.leads && m.recall.stillSuspendedInMarketo === 0 && m.emails.other === 0;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export function printLeads(r: LeadsResult): void {
  const rows = r.digests.map(({ leads, runtime: m, baseline: b }) => {
    const checks = digestCorrect(m) ? `${m.emails.toPartners} digests, each lead in exactly one` : `WRONG RESULT: ${JSON.stringify({ status: m.status, ...m.emails })}`;
    return `  ${String(leads).padStart(7)} leads: runtime ${s(m.ownMs)} own time (${s(m.wallMs)} wall less ${s(m.systemsWaitMs)} waiting for the simulated systems), ${s(m.cpuMs)} CPU (${((m.ownMs * 1000) / leads).toFixed(0)} us/lead)
           baseline ${s(b.ownMs)} own time (${s(b.wallMs)} wall less ${s(b.systemsWaitMs)} waiting), ${s(b.cpuMs)} CPU; ratio ${(m.ownMs / b.ownMs).toFixed(1)} own time, ${(m.wallMs / b.wallMs).toFixed(1)} wall, ${(m.cpuMs / b.cpuMs).toFixed(1)} CPU
           a bare durable commit took ${m.commitMs.toFixed(2)} ms on this disk just before (the runtime commits each step's journal entry)
           ${s(m.virtualMs)} of virtual time passed in the run: the waits of the PRM's and email's rate limits, on the virtual clock (not in the wall time)
           peak RSS ${m.peakRssMb.toFixed(0)} MB (${m.seededRssMb.toFixed(0)} MB before the run; the simulated systems run in another process; baseline peak ${b.peakRssMb.toFixed(0)} MB); live heap ${m.liveHeapMb.before.toFixed(0)} MB before the run, ${m.liveHeapMb.after.toFixed(0)} MB after
           ${checks}; PRM calls ${m.calls.prm ?? 0} (baseline ${b.calls.prm ?? 0}), emails ${m.calls.email ?? 0}`;
  });
  console.log(`leads: D23 lead-share digest over ${r.partners} partners (recipes/leads, simulated PRM and email, virtual clock, SQLite store file)
${rows.join('\n')}
  growth of the time per lead from ${r.digests[0]!.leads} to ${r.digests.at(-1)!.leads} leads: ${digestGrowth(r, 'ownMs').toFixed(2)} own time, ${digestGrowth(r).toFixed(2)} wall, ${digestGrowth(r, 'cpuMs').toFixed(2)} CPU (linear: 1; limit ${LINEAR_GROWTH_LIMIT})`);
  if (r.recall) {
    const m = r.recall;
    const checks = recallCorrect(m) ? `all ${m.recall!.recalledInPrm} recalled (PRM Recalled Date, Marketo cleared)` : `WRONG RESULT: ${JSON.stringify({ status: m.status, ...m.recall, emails: m.emails.other })}`;
    console.log(`  recall (D25) of ${m.leads} leads: runtime ${s(m.wallMs)} wall, ${s(m.cpuMs)} CPU; ${s(m.virtualMs)} of virtual time (the waits of the Marketo budget, 100 calls / 20 s, and of the PRM's pacing, on the virtual clock)
    Marketo calls ${m.calls.marketo ?? 0}: ${m.marketo.leadWrites} lead updates, ${m.marketo.identity} token, ${m.marketo.other} other; refused 606 ${m.marketo.refused['606']}, 615 ${m.marketo.refused['615']}, 607 ${m.marketo.refused['607']}; at most ${m.marketo.peakInFlight} in flight
    PRM calls ${m.calls.prm ?? 0}; peak RSS ${m.peakRssMb.toFixed(0)} MB (${m.seededRssMb.toFixed(0)} MB before the run); ${checks}`);
  }
  console.log('');
}
