import { createSimulatedSystems, type SimulatedSystems } from '../../mocks/simulated-systems.ts';
import { OffsetClock } from '../../server/engine/clock.ts';
import { signWebhook } from '../../server/http/webhook-signature.ts';
import { openReplicaSet, type Replica, type ReplicaSet } from './replica-set.ts';
import { WEBHOOK_SECRET } from './runtime-process.ts';
import { serveSimulatedSystems } from './simulated-systems-server.ts';

/**
 * The replica test's scenario (issue 14, part 6), run the same way on PostgreSQL with three replicas
 * and on SQLite with one process: signed `mdf_request.submitted` deliveries spread across the replicas,
 * the CMM's approval clicks as the approval emails arrive, clock advances that make the unclicked
 * requests' approval deadlines pass, and one replica killed with SIGKILL and restarted twice mid-load,
 * each time while the work the advance made due is under way. Every process runs on one virtual clock
 * (the simulated systems in this process, each replica through the test-only PARTNERFLOW_TEST_CLOCK_OFFSET_MS
 * and `PUT /_test/clock`). It gathers what a user could see afterwards (runs, emails, Salesforce
 * records, the PRM); the test asserts on it.
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

/** The MDF number an approval run is for: its dedup key is one submission of it (`MDF-4000001@<updated>`, D7). */
export const mdfNumberOf = (run: Pick<RunRow, 'dedup_key'>): string => run.dedup_key.split('@')[0]!;

/** What the scenario leaves behind, for the test's assertions. */
export interface ReplicaOutcome {
  mdfNumbers: string[];
  /** The MDF numbers whose approval email the CMM clicked "approve" in. */
  clicked: string[];
  /** Per MDF number, how many clock advances came before its delivery (0: submitted before the first). */
  phaseOf: Map<string, number>;
  /** Webhook answers by HTTP status (a delivery a replica did not take is sent again elsewhere). */
  webhookStatuses: Record<number, number>;
  /** Clicks by HTTP status, after retries on another replica. */
  clickStatuses: Record<number, number>;
  runs: RunRow[];
  systems: SimulatedSystems;
  /** The virtual time the replicas started at. */
  startedAt: number;
  /** When the outcome was read (virtual ms since the epoch), to compare leases and wake times with. */
  readAt: number;
  /** Whether every run settled before `settleTimeoutMs` (the checks say what did not). */
  settled: boolean;
  seconds: { load: number; settle: number };
}

/** The run recipes of the MDF request flow. */
export const APPROVAL_RECIPE = 'mdf-request-approval';
/** Where the virtual clock starts: Monday 1 February 2027, 09:00 in the business calendar's Berlin. */
export const VIRTUAL_START = Date.UTC(2027, 1, 1, 8, 0, 0);
const DAY = 86_400_000;
/**
 * The clock advances, each at a share of the deliveries (the requests delivered before it are the
 * `phase` it ends). With the shipped approval-levels table (level 1: 2 business days, then 10 more):
 * - +3 days (Monday to Thursday): the 2 business days of the requests submitted on Monday pass, so each
 *   unclicked one is reminded and escalated (D10);
 * - +15 days (to Friday 19 February): the Monday requests' 10 escalation business days (from Thursday
 *   4 February) pass too, so they become undecided (ops decide, D10), and the requests submitted on
 *   Thursday are reminded and escalated; those submitted after it are not due before the end.
 * Each advance crosses at most one deadline of a run, since a move across replicas fires what fell due
 * at the new time (`PUT /_test/clock`), not at each timer on the way.
 */
export const CLOCK_ADVANCES = [
  { atShare: 0.15, byMs: 3 * DAY },
  { atShare: 0.4, byMs: 15 * DAY },
] as const;

/**
 * The requests' activity, months after the scenario's last virtual day (Friday 19 February 2027), as a
 * request awaiting approval has: an approved one arms its claim reminders (D14) for days 2, 14 and 28
 * after this end date, none of which comes before the end. (MDF-1001's demo dates, in May 2026, would
 * make every approval rightly send a late claim reminder 10 minutes later.)
 */
const ACTIVITY = { startDate: '2027-06-08', endDate: '2027-06-09' } as const;
/** Fixed-width numbers, so that no MDF number is a prefix of another in a subject line. */
const mdfNumber = (n: number) => `MDF-${4_000_000 + n}`;
const CMM = 'cmm.emea@vendor.example';
/** Deliveries in flight at once, as a busy PRM with several senders. */
const SENDERS = 12;
/** Every how-many-th MDF request the CMM approves by clicking; the others stay waiting for a decision. */
export const CLICK_EVERY = 4;
/** The subjects of the emails an advance makes due (D10), to see that its work is under way. */
const TIME_DRIVEN = /^(Reminder: MDF approval needed|Escalated MDF approval|Your MDF request \S+ is still being decided)/;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A turn due this soon is work under way, not a deadline: a step's retry, or an email waiting out the
 * 2-minute sending window of an attempt a killed replica began (after a takeover by another replica the
 * sender cannot know that the attempt is dead, so it waits before asking the provider). Every deadline
 * of the scenario is business days away.
 */
const UNDER_WAY_WITHIN_MS = 10 * 60_000;

/**
 * A run is under way when it is queued or running, or waits for a time that has passed or is close
 * (UNDER_WAY_WITHIN_MS). "At rest" means no run is: only then may the clock advance, or the outcome be
 * read. An advance past a run waiting out a sending window would send its approval email after the
 * advance, and so start its deadlines a phase late.
 */
function underWay(r: RunRow, now: number): boolean {
  return r.status === 'queued' || r.status === 'running' || (r.status === 'waiting' && r.wake_at !== null && r.wake_at <= now + UNDER_WAY_WITHIN_MS);
}

export async function runReplicaScenario(o: ReplicaScenarioOptions): Promise<ReplicaOutcome> {
  // One virtual clock for every process: the simulated systems read it here, the replicas get its offset.
  const clock = new OffsetClock(VIRTUAL_START - Date.now());
  const systems = createSimulatedSystems({ clock });
  systems.seed();
  const template = systems.prm.findMdfRequest('MDF-1001');
  if (!template) throw new Error('replica scenario: the demo PRM has no MDF-1001 to copy');
  const { id: _id, created: _created, updated: _updated, ...fields } = template;
  const requests = Array.from({ length: o.webhooks }, (_, i) => systems.prm.addMdfRequest({ ...fields, ...ACTIVITY, mdfNumber: mdfNumber(i) }));
  const sim = await serveSimulatedSystems(systems);
  const set = await openReplicaSet(
    o.replicas,
    {
      ...sim.env,
      PARTNERFLOW_LEASE_MS: String(o.leaseMs),
      // The PRM's own pacing (10 calls/s per process by default) would make 2,000 runs take minutes: ops
      // raise it for a PRM that allows more, as here.
      PRM_MAX_CALLS_PER_SECOND: '1000',
      PRM_MAX_CONCURRENT: '50',
      // A clock advance makes days of deadlines due at one instant, which real time never does: the
      // backpressure on the oldest due run's age would refuse webhooks until the wave is through. The
      // backlog stays bounded by its count instead, so a slow machine does not pile up thousands of runs
      // for the settling (or a pause before an advance) to drain.
      MAX_DUE_AGE_MS: String(30 * DAY),
      MAX_DUE_BACKLOG: '500',
      ...o.env,
    },
    clock,
  );
  const webhookStatuses: Record<number, number> = {};
  const clickStatuses: Record<number, number> = {};
  const clicked: string[] = [];
  const phaseOf = new Map<string, number>();
  const startedAt = clock.now();
  try {
    for (const r of set.replicas) await set.start(r.index);
    const loadStarted = performance.now();

    // Senders pass this gate before each delivery; a clock advance closes it and waits for those in flight.
    let phase = 0;
    let gate: Promise<void> = Promise.resolve();
    let inFlight = 0;
    let next = 0;
    let delivered = 0;
    const sender = async () => {
      for (;;) {
        await gate;
        const i = next++;
        if (i >= requests.length) return;
        inFlight++;
        phaseOf.set(requests[i]!.mdfNumber, phase);
        const body = JSON.stringify({ id: `replica-delivery-${i}`, event: 'mdf_request.submitted', data: requests[i] });
        const status = await sendToSomeReplica(set, i, (replica) =>
          fetch(`${replica.base}/webhooks/prm`, {
            method: 'POST',
            // Signed by the PRM's clock, the virtual one the replicas check it against.
            headers: { 'content-type': 'application/json', ...signWebhook(WEBHOOK_SECRET, body, Math.floor(clock.now() / 1000)) },
            body,
          }),
        );
        webhookStatuses[status] = (webhookStatuses[status] ?? 0) + 1;
        delivered++;
        inFlight--;
      }
    };

    // The CMM approves every CLICK_EVERY-th request as its approval email arrives, on any replica.
    const clicksDone = new Set<string>();
    const clicks: Array<Promise<void>> = [];
    const clickNewApprovals = (): number => {
      let issued = 0;
      for (const message of systems.email.messages()) {
        if (!message.to.includes(CMM) || !message.subject.startsWith('MDF approval needed')) continue;
        const number = /MDF-\d+/.exec(message.subject)?.[0];
        if (!number || clicksDone.has(number) || Number(number.slice(4)) % CLICK_EVERY !== 0) continue;
        clicksDone.add(number);
        clicked.push(number);
        issued++;
        const path = new URL(/https?:\/\/\S+\/approvals\/\S+\?decision=approve/.exec(message.text)![0]).pathname;
        clicks.push(
          sendToSomeReplica(set, clicks.length, (replica) =>
            fetch(`${replica.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' }),
          ).then((status) => {
            clickStatuses[status] = (clickStatuses[status] ?? 0) + 1;
          }),
        );
      }
      return issued;
    };
    let loadOver = false;
    let settleStarted = Infinity;
    const clicker = (async () => {
      while (!loadOver || clicks.length < Math.ceil(o.webhooks / CLICK_EVERY)) {
        clickNewApprovals();
        // Gives up with the settling, not a fixed time after the load started (a slow load is no reason).
        if (loadOver && performance.now() - settleStarted > o.settleTimeoutMs) break;
        await sleep(200);
      }
    })();

    /** Nothing is under way at the virtual now (see `underWay`). */
    let due: RunRow[] = [];
    const nothingDue = async (): Promise<boolean> => {
      const now = clock.now();
      due = (await o.readRuns()).filter((r) => underWay(r, now));
      return due.length === 0;
    };

    /**
     * Before an advance, what was delivered so far is where a user would have it: every run waits for
     * its time (the unclicked ones for the approval deadline), and every approval email that arrived for
     * a request the CMM approves was clicked and the click answered. So which deadlines an advance
     * crosses depends on the phase of a request, never on a race with the clicker.
     */
    const quiesce = async () => {
      // A sender that passed the gate before it closed counts itself in flight in a microtask: let it.
      await sleep(0);
      while (inFlight > 0) await sleep(20);
      for (const started = performance.now(); performance.now() - started < o.settleTimeoutMs; ) {
        const issued = clickNewApprovals();
        await Promise.all(clicks);
        if (issued === 0 && (await nothingDue())) return;
        await sleep(200);
      }
      throw new Error(`replica scenario: the runs did not come to rest before a clock advance (virtual now ${new Date(clock.now()).toISOString()}, ${inFlight} deliveries in flight): ${due.length} due, e.g. ${JSON.stringify(due.slice(0, 3))}`);
    };

    // At each advance: senders pause, the runs come to rest, every process's clock moves, the senders go
    // on; once the work the advance made due is under way (its first emails went out), the last replica
    // is killed, down for longer than a lease so that the others (or, alone, the restarted process) take
    // over what it held, and started again at the current virtual time.
    const chaos = (async () => {
      const victim = set.replicas.length - 1;
      for (const advance of CLOCK_ADVANCES) {
        while (delivered < o.webhooks * advance.atShare) await sleep(20);
        let open!: () => void;
        gate = new Promise<void>((r) => (open = r));
        await quiesce();
        const timeDrivenBefore = systems.email.messages().filter((m) => TIME_DRIVEN.test(m.subject)).length;
        clock.advance(advance.byMs);
        await set.clockMoved();
        phase++;
        open();
        for (const started = performance.now(); performance.now() - started < 10_000; await sleep(10)) {
          if (systems.email.messages().filter((m) => TIME_DRIVEN.test(m.subject)).length >= timeDrivenBefore + 10) break;
        }
        await set.kill(victim);
        await sleep(o.leaseMs + 500);
        await set.start(victim);
      }
    })();

    await Promise.all([...Array.from({ length: SENDERS }, sender), chaos]);
    const load = (performance.now() - loadStarted) / 1000;
    settleStarted = performance.now();
    loadOver = true;

    // Settled: every click answered, no run under way, and the clicked runs finished.
    let settled = false;
    while (performance.now() - settleStarted < o.settleTimeoutMs) {
      await Promise.all(clicks);
      const runs = await o.readRuns();
      const now = clock.now();
      const clickedSet = new Set(clicked);
      const busy = runs.some((r) => underWay(r, now));
      const approvalsOpen = runs.some((r) => r.recipe === APPROVAL_RECIPE && clickedSet.has(mdfNumberOf(r)) && r.status !== 'completed');
      if (clicks.length >= Math.ceil(o.webhooks / CLICK_EVERY) && !busy && !approvalsOpen) {
        settled = true;
        break;
      }
      await sleep(500);
    }
    loadOver = true;
    await clicker;
    await Promise.all(clicks);
    const settle = (performance.now() - settleStarted) / 1000;
    return {
      mdfNumbers: requests.map((r) => r.mdfNumber),
      clicked,
      phaseOf,
      webhookStatuses,
      clickStatuses,
      runs: await o.readRuns(),
      startedAt,
      readAt: clock.now(),
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
  // Time-based: a runtime refusing with 503 (backpressure) on a loaded machine may take minutes to catch up.
  for (let attempt = 0, started = performance.now(); performance.now() - started < 300_000; attempt++) {
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
    await sleep(100);
  }
  throw new Error(`replica scenario: request ${n} found no replica to take it in 5 minutes`);
}
