import { createSimulatedSystems, type SimulatedSystems } from '../../mocks/simulated-systems.ts';
import { systemClock } from '../../server/engine/clock.ts';
import { signWebhook } from '../../server/http/webhook-signature.ts';
import { openReplicaSet, type Replica, type ReplicaSet } from './replica-set.ts';
import { WEBHOOK_SECRET } from './runtime-process.ts';
import { serveSimulatedSystems } from './simulated-systems-server.ts';

/**
 * The replica test's scenario (issue 14, part 6), run the same way on PostgreSQL with three replicas
 * and on SQLite with one process: signed `mdf_request.submitted` deliveries spread across the replicas,
 * the CMM's approval clicks as the approval emails arrive, and one replica killed with SIGKILL and
 * restarted twice mid-load. It gathers what a user could see afterwards (runs, emails, Salesforce
 * records); the test asserts on it.
 */
export interface ReplicaScenarioOptions {
  /** How many `serve` processes share the store. */
  replicas: number;
  /** How many MDF requests are submitted, one signed webhook each. */
  webhooks: number;
  /** Every replica's store settings (PARTNERFLOW_DATABASE_URL, or PARTNERFLOW_DB) and anything else. */
  env: Record<string, string>;
  /** Every run row of the store, read while the replicas are down or up. */
  readRuns(): Promise<RunRow[]>;
  /** The lease the replicas run with: a killed replica's runs are taken over once it has passed. */
  leaseMs: number;
  /** Gives up waiting for the runs to settle after this long. */
  settleTimeoutMs: number;
}

/** A run as the store holds it: what the "no run is stuck" check reads. */
export interface RunRow {
  id: string;
  recipe: string;
  dedup_key: string;
  status: string;
  lease_owner: string | null;
  lease_until: number | null;
  wake_at: number | null;
}

/** What the scenario leaves behind, for the test's assertions. */
export interface ReplicaOutcome {
  mdfNumbers: string[];
  /** The MDF numbers whose approval email the CMM clicked "approve" in. */
  clicked: string[];
  /** Webhook answers by HTTP status (a delivery a replica did not take is sent again elsewhere). */
  webhookStatuses: Record<number, number>;
  /** Clicks by HTTP status, after retries on another replica. */
  clickStatuses: Record<number, number>;
  runs: RunRow[];
  systems: SimulatedSystems;
  /** When the outcome was read (ms since the epoch), to compare leases with. */
  readAt: number;
  /** Whether every run settled before `settleTimeoutMs` (the checks say what did not). */
  settled: boolean;
  seconds: { load: number; settle: number };
}

/** The run recipes of the MDF request flow. */
export const APPROVAL_RECIPE = 'mdf-request-approval';

/** Fixed-width numbers, so that no MDF number is a prefix of another in a subject line. */
const mdfNumber = (n: number) => `MDF-${4_000_000 + n}`;
const CMM = 'cmm.emea@vendor.example';
/** Deliveries in flight at once, as a busy PRM with several senders. */
const SENDERS = 12;
/** Every how-many-th MDF request the CMM approves by clicking; the others stay waiting for a decision. */
const CLICK_EVERY = 4;

export async function runReplicaScenario(o: ReplicaScenarioOptions): Promise<ReplicaOutcome> {
  const systems = createSimulatedSystems({ clock: systemClock });
  systems.seed();
  const template = systems.prm.findMdfRequest('MDF-1001');
  if (!template) throw new Error('replica scenario: the demo PRM has no MDF-1001 to copy');
  const { id: _id, created: _created, updated: _updated, ...fields } = template;
  const requests = Array.from({ length: o.webhooks }, (_, i) => systems.prm.addMdfRequest({ ...fields, mdfNumber: mdfNumber(i) }));
  const sim = await serveSimulatedSystems(systems);
  const set = await openReplicaSet(o.replicas, {
    ...sim.env,
    PARTNERFLOW_LEASE_MS: String(o.leaseMs),
    // The PRM's own pacing (10 calls/s per process by default) would make 2,000 runs take minutes: ops
    // raise it for a PRM that allows more, as here.
    PRM_MAX_CALLS_PER_SECOND: '1000',
    PRM_MAX_CONCURRENT: '50',
    ...o.env,
  });
  const webhookStatuses: Record<number, number> = {};
  const clickStatuses: Record<number, number> = {};
  const clicked: string[] = [];
  try {
    for (const r of set.replicas) await set.start(r.index);
    const loadStarted = performance.now();

    let next = 0;
    let delivered = 0;
    const sender = async () => {
      for (let i = next++; i < requests.length; i = next++) {
        const body = JSON.stringify({ id: `replica-delivery-${i}`, event: 'mdf_request.submitted', data: requests[i] });
        const status = await sendToSomeReplica(set, i, (replica) =>
          fetch(`${replica.base}/webhooks/prm`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...signWebhook(WEBHOOK_SECRET, body, Math.floor(Date.now() / 1000)) },
            body,
          }),
        );
        webhookStatuses[status] = (webhookStatuses[status] ?? 0) + 1;
        delivered++;
      }
    };

    // The CMM approves every CLICK_EVERY-th request as its approval email arrives, on any replica.
    const clicksDone = new Set<string>();
    const clicks: Array<Promise<void>> = [];
    let loadOver = false;
    const clicker = (async () => {
      while (!loadOver || clicks.length < Math.ceil(o.webhooks / CLICK_EVERY)) {
        for (const message of systems.email.messages()) {
          if (!message.to.includes(CMM) || !message.subject.startsWith('MDF approval needed')) continue;
          const number = /MDF-\d+/.exec(message.subject)?.[0];
          if (!number || clicksDone.has(number) || Number(number.slice(4)) % CLICK_EVERY !== 0) continue;
          clicksDone.add(number);
          clicked.push(number);
          const path = new URL(/https?:\/\/\S+\/approvals\/\S+\?decision=approve/.exec(message.text)![0]).pathname;
          clicks.push(
            sendToSomeReplica(set, clicks.length, (replica) =>
              fetch(`${replica.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' }),
            ).then((status) => {
              clickStatuses[status] = (clickStatuses[status] ?? 0) + 1;
            }),
          );
        }
        if (loadOver && performance.now() - loadStarted > o.settleTimeoutMs) break;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    // The last replica is killed twice mid-load (a third of the way, two thirds), down for longer than a
    // lease so that the others (or, alone, the restarted process) take over what it held.
    const chaos = (async () => {
      const victim = set.replicas.length - 1;
      for (const share of [1 / 3, 2 / 3]) {
        while (delivered < o.webhooks * share) await new Promise((r) => setTimeout(r, 20));
        await set.kill(victim);
        await new Promise((r) => setTimeout(r, o.leaseMs + 500));
        await set.start(victim);
      }
    })();

    await Promise.all([...Array.from({ length: SENDERS }, sender), chaos]);
    const load = (performance.now() - loadStarted) / 1000;
    loadOver = true;

    // Settled: every click answered, no run queued or running, and the clicked runs finished.
    const settleStarted = performance.now();
    let settled = false;
    while (performance.now() - settleStarted < o.settleTimeoutMs) {
      await Promise.all(clicks);
      const runs = await o.readRuns();
      const clickedSet = new Set(clicked);
      const busy = runs.some((r) => r.status === 'queued' || r.status === 'running');
      const approvalsOpen = runs.some((r) => r.recipe === APPROVAL_RECIPE && clickedSet.has(r.dedup_key) && r.status !== 'completed');
      if (clicks.length >= Math.ceil(o.webhooks / CLICK_EVERY) && !busy && !approvalsOpen) {
        settled = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    loadOver = true;
    await clicker;
    await Promise.all(clicks);
    const settle = (performance.now() - settleStarted) / 1000;
    return {
      mdfNumbers: requests.map((r) => r.mdfNumber),
      clicked,
      webhookStatuses,
      clickStatuses,
      runs: await o.readRuns(),
      readAt: Date.now(),
      systems,
      settled,
      seconds: { load, settle },
    };
  } finally {
    await set.close();
    await sim.close();
  }
}

/**
 * Sends one request to a replica that is up, starting from the `n`-th (round robin), as a load balancer
 * would; a replica that is down, or answers 5xx, gets it again elsewhere after a moment, as a sender
 * retries. The answer's status once it is not a server error.
 */
async function sendToSomeReplica(set: ReplicaSet, n: number, send: (replica: Replica) => Promise<Response>): Promise<number> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const up = set.up();
    const replica = up[(n + attempt) % Math.max(up.length, 1)];
    if (replica) {
      try {
        const res = await send(replica);
        await res.arrayBuffer();
        if (res.status < 500) return res.status;
      } catch {
        // Killed mid-request, or not listening yet: send again.
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`replica scenario: request ${n} found no replica to take it in a minute`);
}
