import { join } from 'node:path';
import { createSimulatedSystems, type SimulatedSystems } from '../mocks/simulated-systems.ts';
import type { MdfRequest } from '../schemas/domain/mdf-request.ts';
import { systemClock } from '../server/engine/clock.ts';
import { serveSimulatedSystems } from '../test/support/simulated-systems-server.ts';
import { percentile } from './load.ts';
import { productionEnv } from './production-env.ts';
import { generateOpenLoad } from './open-loop.ts';
import { RuntimeUnderTest } from './runtime-under-test.ts';
import { peakRssMb, root, stop } from './server-process.ts';

/** What the MDF round measured: deliveries on a schedule, and when each run's first email left. */
export interface MdfResult {
  rate: number;
  seconds: number;
  /** Deliveries sent during the measured load (warm-up not included). */
  sent: number;
  accepted: number;
  refused: number;
  errors: number;
  /** Email sends that reached the simulated email API during the load, all of them (receipts and approval requests). */
  emailsDuringLoad: number;
  /** From when a delivery was due to leave until its run's first email reached the email API, over every delivery sent; one that got none counts as never. */
  firstEmail: { p50Ms: number; p99Ms: number; maxMs: number };
  /** Deliveries sent whose run's first email had not arrived `graceMs` after the load ended (refused ones included). */
  withoutEmail: number;
  graceMs: number;
  /** Runs of the MDF approval recipe started by the measured deliveries. */
  runsStarted: number;
  /** PRM API calls a second that reached the simulated PRM during the load: at the connector's limit, runs queue behind it. */
  prmCallsPerSecond: number;
  /** The PRM connector's own pacing the runtime ran with (`PRM_MAX_CALLS_PER_SECOND`, `PRM_MAX_CONCURRENT`). */
  prmLimits: { callsPerSecond: number; concurrent: number };
  peakRssMb: number;
}

/**
 * How long after the load a run's first email may still arrive; one later counts as never (far past
 * 1 s anyway). The warm-up's runs get as long to reach their wait for the approver. It bounds the
 * round's time when runs queue (behind the PRM connector's pacing, say), so the whole bench stays
 * under 5 minutes.
 */
const GRACE_MS = 10_000;

/** The shipped recipe whose first email is timed; its trigger dedups on the MDF number. */
const RECIPE = 'mdf-request-approval';

/**
 * The PRM connector paces its calls (at most so many started a second, so many in flight): each run
 * reads the PRM before its receipt, so this pacing bounds the rate of runs. The runtime's defaults, as
 * production runs them, unless the benchmark's environment sets `PRM_MAX_CALLS_PER_SECOND` or
 * `PRM_MAX_CONCURRENT` (as ops would for a PRM that allows more).
 */
function prmPacing(): { callsPerSecond: number; concurrent: number } {
  const defaults = productionEnv('unused');
  const setting = (name: string) => {
    const value = Number(process.env[name] ?? defaults[name]);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number of at least 1 (got "${process.env[name] ?? defaults[name]}")`);
    return value;
  };
  return { callsPerSecond: setting('PRM_MAX_CALLS_PER_SECOND'), concurrent: setting('PRM_MAX_CONCURRENT') };
}

/** MDF numbers of the round: fixed width, so that no number is a prefix of another in a subject line. */
const WARMUP_BASE = 3_000_000;
const MEASURED_BASE = 2_000_000;
const mdfNumber = (n: number) => `MDF-${n}`;

/**
 * Adds `count` copies of the demo's valid MDF-1001 (partner marketing-ready, every rule met, EMEA) to
 * the simulated PRM under new numbers from `base`, so that every delivery starts a run of its own and
 * each run reads a request that passes the checks: the run's first email is the partner's receipt (D7).
 */
function seedRequests(systems: SimulatedSystems, base: number, count: number): MdfRequest[] {
  const template = systems.prm.findMdfRequest('MDF-1001');
  if (!template) throw new Error('bench mdf: the demo PRM has no MDF-1001 to copy');
  // The PRM gives the copy its own id and stamps.
  const { id: _id, created: _created, updated: _updated, ...fields } = template;
  return Array.from({ length: count }, (_, i) => systems.prm.addMdfRequest({ ...fields, mdfNumber: mdfNumber(base + i) }));
}

/**
 * The MDF approval recipe as shipped (`RECIPES_DIR=recipes`), the runtime in production mode, against
 * the simulated PRM, Salesforce and email API served over loopback by this process. Signed
 * `mdf_request.submitted` deliveries leave at `rate` a second on a schedule (open loop) for `seconds`,
 * after a warm-up at the same rate; each run's first email is timed where its `POST /email` arrives.
 */
export async function mdfRound(work: string, o: { rate: number; seconds: number; warmupSeconds: number }): Promise<MdfResult> {
  const systems = createSimulatedSystems({ clock: systemClock });
  systems.seed();
  const warmupCount = Math.floor(o.rate * o.warmupSeconds);
  const count = Math.floor(o.rate * o.seconds);
  const warmupRequests = seedRequests(systems, WARMUP_BASE, warmupCount);
  const requests = seedRequests(systems, MEASURED_BASE, count);

  // The first email that names an MDF number, by number; every email send, by arrival time.
  const firstEmailAt = new Map<string, number>();
  const emailArrivals: number[] = [];
  const prmArrivals: number[] = [];
  const sim = await serveSimulatedSystems(systems, {
    onRequest({ system, method, path, arrivedAt, body }) {
      if (system === 'prm') prmArrivals.push(arrivedAt);
      if (system !== 'email' || method !== 'POST' || path !== '/email') return;
      emailArrivals.push(arrivedAt);
      let subject = '';
      try {
        subject = String((JSON.parse(body.toString('utf8')) as { Subject?: unknown }).Subject ?? '');
      } catch {
        return;
      }
      for (const [number] of subject.matchAll(/MDF-\d+/g)) if (!firstEmailAt.has(number)) firstEmailAt.set(number, arrivedAt);
    },
  });
  const prmLimits = prmPacing();
  const runtime = await RuntimeUnderTest.start(work, 'mdf', {
    ...sim.env,
    RECIPES_DIR: join(root, 'recipes'),
    PRM_MAX_CALLS_PER_SECOND: String(prmLimits.callsPerSecond),
    PRM_MAX_CONCURRENT: String(prmLimits.concurrent),
  });
  const deliver = (batch: MdfRequest[], prefix: string, onAnswer?: (n: number, dueAt: number, statusCode: number | null) => void) =>
    generateOpenLoad({
      url: runtime.url,
      rate: o.rate,
      seconds: batch.length / o.rate,
      request: (n) => runtime.signed(JSON.stringify({ id: `${prefix}-${n}`, event: 'mdf_request.submitted', data: batch[n] })),
      onAnswer,
    });
  /** Waits until every given MDF number has had its first email, or the deadline passed. */
  const firstEmails = async (numbers: string[], deadline: number) => {
    while (numbers.some((n) => !firstEmailAt.has(n)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  };

  try {
    if (warmupCount > 0) {
      await deliver(warmupRequests, 'mdf-warmup');
      const deadline = performance.now() + GRACE_MS;
      await firstEmails(warmupRequests.map((r) => r.mdfNumber), deadline);
      // The warm-up's runs go on past their receipt (Salesforce sync, approval email): let them reach
      // their wait for the approver, so that they do not share the CPU with the measured load.
      while (runtime.count(`where finished_at is null and status != 'waiting'`) > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    }
    const dueAt = new Map<string, number>();
    const answered = new Map<string, number | null>();
    const load = await deliver(requests, 'mdf', (n, due, status) => {
      dueAt.set(requests[n]!.mdfNumber, due);
      answered.set(requests[n]!.mdfNumber, status);
    });
    // The load's window: from the first delivery's due time for as long as the generator sent.
    const loadStarted = Math.min(...dueAt.values());
    const loadEnded = loadStarted + load.seconds * 1000;
    const numbers = requests.map((r) => r.mdfNumber);
    const accepted = numbers.filter((n) => {
      const status = answered.get(n);
      return status != null && status >= 200 && status < 300;
    });
    await firstEmails(accepted, performance.now() + GRACE_MS);

    const latencies = numbers.map((n) => {
      const due = dueAt.get(n);
      const email = firstEmailAt.get(n);
      return due === undefined || email === undefined ? Infinity : email - due;
    });
    latencies.sort((a, b) => a - b);
    const placeholders = numbers.map(() => '?').join(',');
    const runsStarted = numbers.length
      ? (runtime.db.prepare(`select count(*) as n from runs where recipe = ? and dedup_key in (${placeholders})`).get(RECIPE, ...numbers) as { n: number }).n
      : 0;
    return {
      rate: o.rate,
      seconds: load.seconds,
      sent: numbers.length,
      accepted: load.accepted,
      refused: load.refused,
      errors: load.errors,
      emailsDuringLoad: emailArrivals.filter((t) => t >= loadStarted && t <= loadEnded).length,
      firstEmail: { p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), maxMs: latencies.at(-1) ?? NaN },
      withoutEmail: latencies.filter((l) => l === Infinity).length,
      graceMs: GRACE_MS,
      runsStarted,
      prmCallsPerSecond: prmArrivals.filter((t) => t >= loadStarted && t <= loadEnded).length / load.seconds,
      prmLimits,
      peakRssMb: peakRssMb(runtime.pid),
    };
  } finally {
    runtime.close();
    await stop(runtime.server.child);
    await sim.close();
  }
}
