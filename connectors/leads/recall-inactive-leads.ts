import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { MARKETO_LIMITS } from '../marketo/marketo-limits.ts';
import { InactiveLeadsInput, recallableLeadsInMarketo, stillThePartners, type RecallableLead } from './inactive-partner-leads.ts';
import type { LeadsConnection } from './leads-connection.ts';
import { emailKey } from './email-key.ts';
import { recallSalesforceLeads } from './recall-salesforce-leads.ts';
import { partnersRecalledIn, remainingPartnerShares } from './remaining-partner-shares.ts';
import type { PrmPartnerLead } from '../prm/prm-records.ts';

/**
 * `leads.recall_inactive_leads` (D25, D26): takes back every lead synced in the window that the partner
 * has not touched and that is not from a partner-sponsored event. 300 at a time: Marketo `updateOnly`
 * by email clears the Impartner Partner Account and gives back the Marketing Suspended the lead had
 * before the share (false unless ops had suspended it: scoring and marketing resume; releasedFromPartner), the Salesforce Leads lose their PartnerAccountId and get a Partner Recalled Date
 * (D1: PRM Lead ↔ Salesforce Lead; recall-salesforce-leads.ts), then each PRM lead gets its Recalled
 * Date (the portal stops listing it). A lead shared meanwhile with another partner (its Marketo lead's
 * Impartner Partner Account, or its Salesforce Lead's PartnerAccountId, names that partner) keeps it:
 * only the recalled partner's PRM lead gets its Recalled Date (D25), and the output names it for ops. A
 * partner whose own copy of the person is recalled in the same batch (a joint booth, both copies due
 * the same morning) is no such other partner: its hold ends too, and the lead is released once. A
 * joint-booth lead whose Marketo lead names the recalled partner while another partner still holds an
 * open share of the person (its own unrecalled PRM lead: remaining-partner-shares.ts, one PRM read per
 * batch) is handed over to that partner instead of released: Impartner Partner Account and CRM Partner
 * ID that partner's, Marketing Suspended stays true, the Salesforce Lead's PartnerAccountId its
 * Account (handed_over). A lead several Marketo leads have (an update by email answers 1007) is
 * updated by id on the Marketo leads that name the partner, and named with every id
 * (several_in_marketo): ops merge them.
 *
 * Resumable: a lead with a Recalled Date is skipped, so an attempt after a failure (Marketo's daily
 * quota, 607: the engine waits for the reset without spending an attempt) recalls only the rest. A
 * batch whose Marketo write landed but whose PRM marks did not is written to Marketo again, with the
 * same values: no lead is recalled twice in effect, and none is told twice (nothing is sent). What it
 * reports is the whole recall's: after each batch, and when an attempt fails, the report so far is
 * kept with the step's journal entry (ActionContext.saveProgress), and the next attempt starts from
 * it (review 4: a step retried after batch 1 reported only the leads of batch 2, so ops never heard
 * of a lead batch 1 found missing in Marketo). A lead an earlier attempt reported keeps that report.
 */
/** A lead several Marketo leads have (D25): which ones, and which of them the recall updated by id. */
const SeveralInMarketo = z.object({
  email: z.string(),
  marketo_ids: z.array(z.number().int()).describe('The Marketo lead ids with this email (empty: Marketo answered 1007 to the update, after the read found one).'),
  recalled_ids: z.array(z.number().int()).describe('Those that named the recalled partner and were recalled (Impartner Partner Account cleared, Marketing Suspended = false).'),
});
type SeveralInMarketo = z.infer<typeof SeveralInMarketo>;

/** A lead the recall left with the partner that holds it now (D25): recalled in the PRM from this partner only. */
const LeftWithOtherPartner = z.object({
  email: z.string(),
  recalled_from: z.string().describe('The PRM account id of the partner the lead was recalled from (its PRM lead only).'),
  now_with: z.string().describe('Who holds it now, as the recall read it: the PRM account in the Marketo lead\'s Impartner Partner Account, or the Salesforce Lead\'s Account.'),
});
type LeftWithOtherPartner = z.infer<typeof LeftWithOtherPartner>;

/** A joint-booth lead handed over to the partner that still holds a share of the person (D25). */
const HandedOver = z.object({
  email: z.string(),
  recalled_from: z.string().describe('The PRM account id of the partner the lead was recalled from (its PRM lead).'),
  handed_to: z.string().describe('The PRM account id of the partner that holds an open share of the same person: the Marketo lead\'s Impartner Partner Account now.'),
  salesforce: z.enum(['handed over', 'no Lead', 'refused', 'left as it was: no CRM Partner ID on the remaining partner\'s PRM lead']).describe('What became of the Salesforce Lead (refused: as salesforce_refused names it).'),
});
type HandedOver = z.infer<typeof HandedOver>;

/** What ops read of a lead left with another partner: the PRM accounts its Marketo leads name. */
function leftWithOtherPartner(r: RecallableLead): LeftWithOtherPartner {
  const recalledFrom = String(r.lead.partnerAccountId ?? '');
  const others = [...new Set(r.marketoPartnerAccounts.filter((a) => a !== '' && a !== recalledFrom))];
  return { email: emailKey(r.lead.email), recalled_from: recalledFrom, now_with: `PRM account ${others.join(', ')} (the Marketo lead's Impartner Partner Account)` };
}

/**
 * The Marketo fields of a recalled lead (D25, D27): no partner, and the Marketing Suspended it had before
 * the share (Marketing Suspended Before Share, recorded by the routing): a lead ops had suspended (a
 * legal hold, say) stays suspended; any other gets scoring and marketing back. A lead shared before the
 * field existed (none recorded) gets false, as the rule says. The record is cleared: the next share
 * records its own.
 */
function releasedFromPartner(suspendedBeforeShare: boolean | null | undefined): Record<string, unknown> {
  return { impartnerPartnerAccount: null, marketingSuspended: suspendedBeforeShare === true, marketingSuspendedBeforeShare: null };
}

/**
 * The Marketo fields of a lead handed over to the partner that still holds a share of the person (D25,
 * D27): that partner's account and CRM Partner ID, still suspended from marketing and scoring. A holder
 * whose PRM lead has no CRM Partner ID gets the field cleared (null, as the recall clears Impartner
 * Partner Account): left alone it would go on naming the recalled partner. Marketing Suspended Before
 * Share is kept: the share goes on, and that partner's recall gives it back.
 */
function handedOverTo(holder: PrmPartnerLead): Record<string, unknown> {
  return { impartnerPartnerAccount: String(holder.partnerAccountId ?? ''), crmPartnerID: holder.crmPartnerId || null, marketingSuspended: true };
}

/**
 * One recalled copy per person (email key), so that its Marketo lead is written once and its hand-over
 * named once: the copy whose partner the Marketo lead names, when one does (the hold being released).
 */
function onePerPerson(recallables: readonly RecallableLead[]): RecallableLead[] {
  const namedInMarketo = (r: RecallableLead) => r.marketoPartnerAccounts.includes(String(r.lead.partnerAccountId ?? ''));
  const people = new Map<string, RecallableLead>();
  for (const r of recallables) {
    const key = emailKey(r.lead.email);
    const kept = people.get(key);
    if (!kept || (!namedInMarketo(kept) && namedInMarketo(r))) people.set(key, r);
  }
  return [...people.values()];
}

/** What the recall reports (D25): over every attempt of its step, not only the last. */
const RecallReport = z.object({
  recalled: z.number().int().describe('Leads recalled (PRM Recalled Date set) by this step, over all its attempts.'),
  not_in_marketo: z.array(z.string()).describe('Emails Marketo has no lead for: recalled in the PRM only.'),
  several_in_marketo: z.array(SeveralInMarketo).describe('Leads several Marketo leads have (Marketo refuses an update by email, 1007): the ones that named the partner were recalled by id; ops are told to merge them.'),
  not_in_salesforce: z.array(z.string()).describe('Emails Salesforce has no Lead for (D1): recalled in Marketo and the PRM.'),
  salesforce_refused: z.array(z.string()).describe('Salesforce Leads the org refused to update, with its reason.'),
  handed_over: z.array(HandedOver).default([]).describe('Joint-booth leads whose Marketo lead named the recalled partner while another partner still holds an open share of the person: handed over to that partner (D25), not released.'),
  left_with_other_partner: z.array(LeftWithOtherPartner).describe('Leads shared meanwhile with another partner: recalled in the PRM from this partner only, their Marketo or Salesforce partner fields left to the other partner (D25). Ops are told in the recall\'s email.'),
  marketo_calls: z.number().int().describe('Marketo update calls (300 leads each) of this step, over all its attempts; the Last Partner Activity reads come on top, one per 300 candidates.'),
});
type RecallReport = z.infer<typeof RecallReport>;

/**
 * What earlier attempts of the step reported (ActionContext.progress), or nothing on a first attempt
 * (or from a version whose report had another shape: then only this attempt's is known).
 */
function earlierReport(progress: unknown): RecallReport | undefined {
  if (progress === undefined) return undefined;
  const parsed = RecallReport.safeParse(progress);
  return parsed.success ? parsed.data : undefined;
}

/**
 * D24, D25 (review7 H1): a lead read for the recall whose reminder went out less than its notice ago
 * (`notice_days` after its Recall Reminder Date, the time the email went out). The recall reads the
 * reminders sent up to an hour after their own run's scheduled time, since an on-time reminder leaves a
 * few seconds or minutes after 07:30 and its recall's run starts at 07:30 seven days later: such leads
 * are recalled by the same step once their notice is over (it waits, spending no attempt), never before.
 */
export class NoticeNotOverError extends Error {
  override name = 'NoticeNotOverError';
  readonly retryable = true;
  readonly spendsNoAttempt = true;
  readonly retryAfterMs: number;
  constructor(count: number, endsAt: number, now: number) {
    super(`${count} lead${count === 1 ? "'s" : "s'"} recall notice ends at ${new Date(endsAt).toISOString()} (${Math.ceil((endsAt - now) / 1000)} s from now, the announced days after the reminder went out): ${count === 1 ? 'it is' : 'they are'} recalled then`);
    this.retryAfterMs = Math.max(0, endsAt - now);
  }
}

/** The recall's input: the inactive leads' window, and the notice the reminder announced. */
const RecallInput = InactiveLeadsInput.extend({
  notice_days: z.number().positive().optional().describe('D24, D25: the days the reminder announced (recall_day - reminder_day). A lead is recalled only once that many days have passed since its Recall Reminder Date (when its reminder went out); one read by reminded_by whose notice ends later is recalled by this step then (it waits, spending no attempt). Without it (runs of lead-recall v15 and before), reminded_by alone decides.'),
});

export const recallInactiveLeads = defineAction({
  description: 'Recalls the untouched, non-exempt leads synced in a window: Marketo updateOnly 300 a call (Impartner Partner Account cleared, Marketing Suspended as before the share: false unless ops had suspended the lead), then the PRM lead\'s Recalled Date.',
  input: RecallInput,
  output: RecallReport,
  idempotent: true,
  uses: ['prm', 'marketo', 'salesforce'],
  async run(input, ctx: ActionContext<LeadsConnection>) {
    const prm = ctx.connection.prm();
    const marketo = ctx.connection.marketo().client;
    const call = { signal: ctx.signal, note: ctx.note };
    const salesforce = ctx.connection.salesforce().client;
    const keyField = ctx.connection.config.salesforceLeadKeyField;
    // D25: the report covers the whole recall. A retried attempt skips the leads earlier attempts
    // recalled, so it starts from what they reported (review 4: a step retried after batch 1 told ops
    // nothing of the lead Marketo lacked in it).
    const earlier = earlierReport(ctx.progress);
    const notInMarketo: string[] = [...(earlier?.not_in_marketo ?? [])];
    const severalInMarketo: SeveralInMarketo[] = [...(earlier?.several_in_marketo ?? [])];
    const notInSalesforce: string[] = [...(earlier?.not_in_salesforce ?? [])];
    const salesforceRefused: string[] = [...(earlier?.salesforce_refused ?? [])];
    const otherPartner: LeftWithOtherPartner[] = [...(earlier?.left_with_other_partner ?? [])];
    const handed: HandedOver[] = [...(earlier?.handed_over ?? [])];
    // A later batch of this attempt read its Marketo leads before an earlier batch handed them over.
    const handedTo = new Map<string, { from: string; to: string }>(handed.map((h) => [h.email, { from: h.recalled_from, to: h.handed_to }]));
    let recalled = earlier?.recalled ?? 0;
    let calls = earlier?.marketo_calls ?? 0;
    // A lead an earlier attempt reported is reported as it found it: a batch cut short between its
    // Marketo write and its PRM marks is done again, and its leads read differently the second time
    // (a lead handed over then names its new partner: "left with" it).
    const reportedEarlier = new Set<object>([...severalInMarketo, ...otherPartner, ...handed]);
    const emailsReportedEarlier = new Set([...reportedEarlier].map((r) => emailKey((r as { email: string }).email)));
    const firstReport = <T extends { email: string }>(list: T[]) => list.filter((r) => reportedEarlier.has(r) || !emailsReportedEarlier.has(emailKey(r.email)));
    const report = (): RecallReport => ({
      recalled,
      not_in_marketo: [...new Set(notInMarketo)],
      several_in_marketo: firstReport(severalInMarketo),
      not_in_salesforce: [...new Set(notInSalesforce)],
      salesforce_refused: [...new Set(salesforceRefused)],
      handed_over: firstReport(handed),
      left_with_other_partner: firstReport(otherPartner),
      marketo_calls: calls,
    });
    const flush = async (read: RecallableLead[]) => {
      // A PRM lead without an email (the partner blanked it) has no Marketo or Salesforce lead to find:
      // it is recalled in the PRM only and named to ops by its PRM id, never matched by an empty email
      // (which would hand another email-less lead's person over, or fail Marketo's read).
      for (const { lead } of read.filter((r) => emailKey(r.lead.email) === '')) {
        await prm.updatePartnerLead(lead.id, { RecalledDate: new Date(ctx.clock.now()).toISOString() }, call);
        recalled += 1;
        notInMarketo.push(`PRM lead ${lead.id} (no email in the PRM)`);
      }
      const batch = read.filter((r) => emailKey(r.lead.email) !== '');
      if (batch.length === 0) {
        if (read.length > 0) await ctx.saveProgress?.(report());
        return;
      }
      for (const r of batch) {
        const moved = handedTo.get(emailKey(r.lead.email));
        if (moved) r.marketoPartnerAccounts = r.marketoPartnerAccounts.map((a) => (a === moved.from ? moved.to : a));
      }
      // D25 (joint booth): who still holds an open share of each person once this batch is recalled.
      const remaining = await remainingPartnerShares(prm, batch.map(({ lead }) => lead), call);
      const holderOf = (r: RecallableLead) => remaining.get(emailKey(r.lead.email));
      const partnerFields = (r: RecallableLead, before: boolean | null | undefined) => {
        const holder = holderOf(r);
        return holder ? handedOverTo(holder) : releasedFromPartner(before);
      };
      // D25: only the holds recalled in this batch are released; a lead another partner got since stays
      // theirs. A joint-booth partner whose own copy is recalled in this batch too holds nothing after it.
      const recalledFrom = partnersRecalledIn(batch.map(({ lead }) => lead));
      const recalledWith = (r: RecallableLead) => recalledFrom.get(emailKey(r.lead.email)) ?? new Set<string>();
      const releases = (r: RecallableLead) => stillThePartners(r, recalledWith(r));
      const ours = batch.filter(releases);
      otherPartner.push(...batch.filter((r) => !releases(r)).map(leftWithOtherPartner));
      // One Marketo write and one hand-over per person, also when several partners' copies are recalled.
      const people = onePerPerson(ours);
      // An earlier batch of this attempt handed the person over to a partner whose own copy this batch
      // recalls: that hand-over ends here (released, or handed over anew below), so it is not reported.
      for (const { lead } of people) {
        const key = emailKey(lead.email);
        if (!handedTo.delete(key)) continue;
        handed.splice(0, handed.length, ...handed.filter((h) => h.email !== key));
        // Ended, also when an earlier attempt reported it: what this batch does with the person is told.
        emailsReportedEarlier.delete(key);
      }
      // Several Marketo leads with one email: Marketo refuses an update by email (1007), so those that
      // name a partner recalled here are updated by id, and ops are told which ones to merge (never "not in Marketo").
      const byEmail = people.filter((r) => r.marketoIds.length <= 1);
      const several = people.filter((r) => r.marketoIds.length > 1);
      const leads = byEmail.map((r) => ({ email: emailKey(r.lead.email), ...partnerFields(r, r.marketoSuspendedBeforeShare[0]) }));
      if (leads.length > 0) {
        const results = await marketo.upsertLeads({ action: 'updateOnly', lookupField: 'email', leads }, call);
        calls += 1;
        results.forEach((result, i) => {
          if (result.status === 'updated' || result.status === 'created') return;
          const { lead } = byEmail[i]!;
          // A duplicate made since the read above: Marketo names it, and so does ops' email.
          if ((result.reasons ?? []).some((r) => r.code === '1007')) severalInMarketo.push({ email: lead.email, marketo_ids: [], recalled_ids: [] });
          else notInMarketo.push(lead.email);
        });
      }
      const updates = several.flatMap((r) => r.marketoIds.flatMap((id, i) => (recalledWith(r).has(r.marketoPartnerAccounts[i] ?? '') ? [{ id, email: r.lead.email, fields: partnerFields(r, r.marketoSuspendedBeforeShare[i]) }] : [])));
      const recalledIds = new Set<number>();
      for (let i = 0; i < updates.length; i += MARKETO_LIMITS.batchSize) {
        const group = updates.slice(i, i + MARKETO_LIMITS.batchSize);
        const results = await marketo.upsertLeads({ action: 'updateOnly', lookupField: 'id', leads: group.map(({ id, fields }) => ({ id, ...fields })) }, call);
        calls += 1;
        results.forEach((result, j) => {
          if (result.status === 'updated') recalledIds.add(group[j]!.id);
        });
      }
      severalInMarketo.push(...several.map((r) => ({ email: r.lead.email, marketo_ids: r.marketoIds, recalled_ids: r.marketoIds.filter((id) => recalledIds.has(id)) })));
      const at = new Date(ctx.clock.now()).toISOString();
      // The Salesforce Lead follows the Marketo lead: handed over where another partner holds a share,
      // released otherwise. A lead whose Marketo lead names that partner already (a retried batch: Marketo
      // was written, Salesforce was not) is handed over in Salesforce too.
      const handing = onePerPerson(batch.filter((r) => holderOf(r) !== undefined && (releases(r) || r.marketoPartnerAccounts.includes(String(holderOf(r)!.partnerAccountId ?? '')))));
      const withoutCrmId = new Set(handing.filter((r) => !holderOf(r)!.crmPartnerId).map(({ lead }) => emailKey(lead.email)));
      // Each person's Salesforce Lead is still the batch's to take while it names any partner recalled here.
      const partners = new Map<string, Array<string | null | undefined>>();
      for (const { lead } of [...ours, ...handing]) {
        const key = emailKey(lead.email);
        if (!withoutCrmId.has(key)) partners.set(key, [...(partners.get(key) ?? []), lead.crmPartnerId]);
      }
      const handTo = new Map(handing.filter(({ lead }) => !withoutCrmId.has(emailKey(lead.email))).map((r) => [emailKey(r.lead.email), holderOf(r)!.crmPartnerId!]));
      const inSalesforce = await recallSalesforceLeads(salesforce, keyField, [...partners.keys()], at, call, partners, handTo);
      notInSalesforce.push(...inSalesforce.notInSalesforce.filter((key) => !handTo.has(key)));
      for (const r of people.filter((o) => holderOf(o) !== undefined)) {
        const key = emailKey(r.lead.email);
        const from = String(r.lead.partnerAccountId ?? '');
        const to = String(holderOf(r)!.partnerAccountId ?? '');
        handedTo.set(key, { from, to });
        const salesforceDone = withoutCrmId.has(key) ? 'left as it was: no CRM Partner ID on the remaining partner\'s PRM lead' : inSalesforce.handedOver.includes(key) ? 'handed over' : inSalesforce.refused.some((refusal) => refusal.key === key) ? 'refused' : 'no Lead';
        handed.push({ email: key, recalled_from: from, handed_to: to, salesforce: salesforceDone });
      }
      for (const key of inSalesforce.otherPartners) {
        if (otherPartner.some((o) => o.email === key)) continue;
        const recallable = people.find(({ lead }) => emailKey(lead.email) === key);
        otherPartner.push({ email: key, recalled_from: String(recallable?.lead.partnerAccountId ?? ''), now_with: 'another partner\'s Account on the Salesforce Lead (PartnerAccountId)' });
      }
      salesforceRefused.push(...inSalesforce.refused.map(({ key, reason }) => `${key} (${reason})`));
      // Last: a lead with a Recalled Date is skipped by a later attempt, so Marketo and Salesforce are written first.
      for (const { lead } of batch) {
        await prm.updatePartnerLead(lead.id, { RecalledDate: at }, call);
        recalled += 1;
      }
      // Kept with the step's journal entry: a crash or a failure in a later batch loses none of it.
      await ctx.saveProgress?.(report());
    };
    // D24, D25: the leads whose notice is not over yet, and when the last of them ends.
    const noticeMs = input.notice_days === undefined ? undefined : input.notice_days * 86_400_000;
    let notYet = 0;
    let noticeEndsAt = 0;
    try {
      let batch: RecallableLead[] = [];
      for await (const lead of recallableLeadsInMarketo(prm, marketo, input, call)) {
        const remindedAt = Date.parse(String(lead.lead.recallReminderDate ?? ''));
        if (noticeMs !== undefined && Number.isFinite(remindedAt) && remindedAt + noticeMs > ctx.clock.now()) {
          notYet += 1;
          noticeEndsAt = Math.max(noticeEndsAt, remindedAt + noticeMs);
          continue;
        }
        batch.push(lead);
        if (batch.length === MARKETO_LIMITS.batchSize) {
          await flush(batch);
          batch = [];
        }
      }
      await flush(batch);
      if (notYet > 0) throw new NoticeNotOverError(notYet, noticeEndsAt, ctx.clock.now());
    } catch (error) {
      // What this attempt did before it failed (a batch's Marketo write, some of its PRM marks) is the
      // next attempt's to report; it skips those leads. Not kept when the store is what failed.
      await ctx.saveProgress?.(report()).catch(() => {});
      throw error;
    }
    const { not_in_marketo: notInMarketoOnce, several_in_marketo: several, handed_over: handedOnce, left_with_other_partner: leftOnce, not_in_salesforce: notInSalesforceOnce, salesforce_refused: refusedOnce } = report();
    ctx.note(
      `recalled ${recalled} leads in ${calls} Marketo call${calls === 1 ? '' : 's'}${earlier ? ' (earlier attempts included)' : ''}${notInMarketoOnce.length ? `; ${notInMarketoOnce.length} not in Marketo` : ''}${several.length ? `; several Marketo leads for ${several.map((s) => `${s.email} (${s.marketo_ids.join(', ') || '1007'})`).join(', ')}` : ''}${notInSalesforceOnce.length ? `; ${notInSalesforceOnce.length} without a Salesforce Lead` : ''}${refusedOnce.length ? `; Salesforce refused ${refusedOnce.join(', ')}` : ''}${handedOnce.length ? `; handed over to the partner that still holds a share: ${handedOnce.map((h) => `${h.email} (PRM account ${h.recalled_from} → ${h.handed_to}; Salesforce: ${h.salesforce})`).join(', ')}` : ''}${leftOnce.length ? `; left with another partner: ${leftOnce.map((o) => `${o.email} (${o.now_with})`).join(', ')}` : ''}`,
    );
    return report();
  },
});
