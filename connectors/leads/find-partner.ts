import { z } from 'zod';
import { readCrmPartnerId } from '../../schemas/domain/crm-partner-id.ts';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { oneLine } from '../prm/one-line.ts';
import { PrmRoutingPartner } from '../prm/prm-records.ts';
import type { LeadsConnection } from './leads-connection.ts';

/**
 * `leads.find_partner` (D20): the PRM partner of a CRM Partner ID as it arrived (an import column, a
 * `utm_partnerid`): 18 characters, or the 15-character form expanded with Salesforce's checksum.
 * Not found (or not an Id at all) is an answer by default; with `not_found: 'fail'` it fails the step
 * instead (`NoPartnerWithCrmId`, `SeveralPartnersWithCrmId`, not retried), so that the run stands failed
 * at this step and a retry once ops corrected the PRM asks the PRM again.
 */
export const NO_PARTNER_WITH_CRM_ID = 'NoPartnerWithCrmId';
export const SEVERAL_PARTNERS_WITH_CRM_ID = 'SeveralPartnersWithCrmId';

/** No partner, or several, have the CRM Partner ID: the message is the reason, naming the Id (and the partners). */
export class PartnerNotRoutableError extends Error {
  readonly retryable = false;
  constructor(several: boolean, reason: string) {
    super(reason);
    this.name = several ? SEVERAL_PARTNERS_WITH_CRM_ID : NO_PARTNER_WITH_CRM_ID;
  }
}

export const findPartner = defineAction({
  description: "Finds the PRM partner by CRM Partner ID (18 characters, or the 15-character form); found: false with the reason otherwise (no partner, or several partners with the Id), or with not_found 'fail' a failed step (NoPartnerWithCrmId, SeveralPartnersWithCrmId) whose message is the reason.",
  input: z.object({
    crm_partner_id: z.string().describe('The CRM Partner ID as given.'),
    not_found: z
      .enum(['answer', 'fail'])
      .default('answer')
      .describe("answer: found false with the reason; fail: the step fails (not retried) with the reason, so a retry of the run after the PRM is corrected asks again."),
  }),
  output: z.object({
    found: z.boolean(),
    several: z.boolean().default(false).describe('D20: more than one PRM partner has the Id (a duplicate account): not routed, ops are told which.'),
    crm_partner_id: z.string().describe('The 18-character form looked up (the given value when it is not an Id).'),
    partner: PrmRoutingPartner.nullable(),
    reason: z.string().nullable().describe('Why no partner was found, naming the value.'),
  }),
  idempotent: true,
  uses: ['prm'],
  run: async (input, ctx: ActionContext<LeadsConnection>) => {
    const found = await lookUp(input.crm_partner_id, ctx);
    if (!found.found && input.not_found === 'fail') throw new PartnerNotRoutableError(found.several, found.reason ?? `no partner has CRM Partner ID ${input.crm_partner_id}`);
    return found;
  },
});

/** What `leads.find_partner` answers: the partner, or why there is none. */
interface PartnerLookup {
  found: boolean;
  several: boolean;
  crm_partner_id: string;
  partner: PrmRoutingPartner | null;
  reason: string | null;
}

async function lookUp(crmPartnerId: string, ctx: ActionContext<LeadsConnection>): Promise<PartnerLookup> {
  const read = readCrmPartnerId(crmPartnerId);
  if (!read.ok) return { found: false, several: false, crm_partner_id: crmPartnerId, partner: null, reason: read.reason };
  if (read.given === 15) ctx.note(`CRM Partner ID ${crmPartnerId} (15 characters) is ${read.id18} in its 18-character form`);
  const found = await ctx.connection.prm().findPartnersByCrmId(read.id18, { signal: ctx.signal, note: ctx.note });
  // D21: the name goes into the one-line interesting moment (and ops' emails): a line break typed in
  // the PRM is one space, as the digest folds it (oneLine).
  const oneLineName = <P extends { name?: string | null }>(p: P): P => (typeof p.name === 'string' ? { ...p, name: oneLine(p.name) } : p);
  const partner = found.partner && oneLineName(found.partner);
  const others = found.others.map(oneLineName);
  const given = read.given === 15 ? ` (given as ${crmPartnerId})` : '';
  if (partner && others.length > 0) {
    // D20: a duplicate account with the same Id is not a tie to break by id: the lead would go to
    // whichever account is older, which may be the wrong company. Ops say which one it is.
    const named = [partner, ...others].map((p) => `${p.name ?? 'unnamed'} (PRM account ${p.id})`).join(' and ');
    return { found: false, several: true, crm_partner_id: read.id18, partner: null, reason: `several partners in the PRM have CRM Partner ID ${read.id18}${given}: ${named}; keep the Id on the partner the lead is for only` };
  }
  return partner
    ? { found: true, several: false, crm_partner_id: read.id18, partner, reason: null }
    : { found: false, several: false, crm_partner_id: read.id18, partner: null, reason: `no partner in the PRM has CRM Partner ID ${read.id18}${given}` };
}
