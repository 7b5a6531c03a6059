import { createSimulatedSystems, type SimulatedSystems } from '../mocks/simulated-systems.ts';
import { serveSimulatedSystems } from '../test/support/simulated-systems-server.ts';
import { DIGEST_AT, LEAD_EMAIL_PATTERN, RECALL_AT, seedLeads } from './leads-seed.ts';
import { VIRTUAL_NOW_HEADER, type LeadsSystemsReport } from './leads-systems-report.ts';

/**
 * The simulated PRM, Marketo and email API of one `leads` measurement, in a process of their own so
 * that the measured process's CPU time and peak RSS are the runtime's alone (issue 13: "the runtime's
 * time"): the runtime reaches them over loopback HTTP, as it reaches real systems.
 *   node <bundle> <digest|bare-digest|recall> <leads> <partners>   (spawned with an IPC channel)
 * Seeds them, serves them on a free loopback port and sends `{ baseUrl }` to its parent; on `'check'`
 * answers with what they received and hold (LeadsSystemsReport), then exits.
 */
const [mode = '', leadsArg = '', partnersArg = ''] = process.argv.slice(2);
const LEADS = Number(leadsArg);
const PARTNERS = Number(partnersArg);
if (!['digest', 'bare-digest', 'recall'].includes(mode) || !(LEADS > 0) || !(PARTNERS > 0) || !process.send) {
  console.error('usage (spawned with an IPC channel): leads-systems.ts <digest|bare-digest|recall> <leads> <partners>');
  process.exit(2);
}
const recall = mode === 'recall';
const fireAt = recall ? RECALL_AT : DIGEST_AT;
// The recall's leads were synced in the day that ended 30 days before its fire time (D25).
const syncedBefore = recall ? RECALL_AT - 30 * 86_400_000 : DIGEST_AT;

let now = fireAt - 3_600_000;
const systems = createSimulatedSystems({ clock: { now: () => now } });
seedLeads(systems, { leads: LEADS, partners: PARTNERS, syncedBefore, marketo: recall });

const calls: Record<string, number> = {};
const marketoCalls = { identity: 0, leadWrites: 0, other: 0 };
const server = await serveSimulatedSystems(systems, {
  onRequest: ({ system, method, path, headers }) => {
    const stamped = Number(headers[VIRTUAL_NOW_HEADER]);
    if (stamped > now) now = stamped;
    const name = system.startsWith('sf-') ? 'salesforce' : system;
    calls[name] = (calls[name] ?? 0) + 1;
    if (name !== 'marketo') return;
    if (path.startsWith('/identity/')) marketoCalls.identity += 1;
    else if (method === 'POST' && path === '/rest/v1/leads.json') marketoCalls.leadWrites += 1;
    else marketoCalls.other += 1;
  },
});
process.send!({ baseUrl: server.baseUrl });
process.on('message', (message) => {
  if (message !== 'check') return;
  const usage = systems.marketo.usage();
  const report: LeadsSystemsReport = {
    calls,
    marketo: { ...marketoCalls, refused: usage.refused, peakInFlight: usage.peakInFlight },
    emails: checkDigests(systems),
    recall: recall ? checkRecall(systems) : null,
  };
  process.send!(report, () => void server.close().then(() => process.exit(0)));
});

/**
 * Every digest checked: one email per partner with leads in the window, to its contact, and every lead
 * named in exactly one of them, its own partner's. (The recall sends none: any email is counted as other.)
 */
function checkDigests(s: SimulatedSystems): LeadsSystemsReport['emails'] {
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
function checkRecall(s: SimulatedSystems): LeadsSystemsReport['recall'] {
  const recalledInPrm = s.prm.leads().filter((l) => l.recalledDate).length;
  const stillSuspendedInMarketo = s.marketo.leads().filter((l) => l.marketingSuspended === true || (l.impartnerPartnerAccount ?? null) !== null).length;
  return { recalledInPrm, stillSuspendedInMarketo };
}
