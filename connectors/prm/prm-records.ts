import { z } from 'zod';
import { MdfClaim } from '../../schemas/domain/mdf-claim.ts';
import { MdfRequest } from '../../schemas/domain/mdf-request.ts';
import { Partner } from '../../schemas/domain/partner.ts';
import { readPrmNumber } from '../../schemas/domain/prm-fields.ts';

/**
 * An MDF request as the PRM returns it. Fields the domain schema does not name (custom `__cf` fields an
 * instance adds) are kept, so recipes can use them.
 */
export const PrmMdfRequest = MdfRequest.loose();
export type PrmMdfRequest = z.infer<typeof PrmMdfRequest>;

/** An MDF claim as the PRM returns it, an instance's `__cf` fields kept. */
export const PrmMdfClaim = MdfClaim.loose();
export type PrmMdfClaim = z.infer<typeof PrmMdfClaim>;

/**
 * Another claim as a listing returns it, read leniently: only what the title check (D15), the approved
 * amount (D18) and the reminders (D14) use is checked. One old claim whose paid date or Missing POP the
 * PRM holds in a form the full schema refuses must not fail every later intake that lists claims.
 */
export const PrmMdfClaimSummary = z
  .object({
    id: z.number().int().positive(),
    mdfNumber: z.string(),
    title: z.string().nullish().catch(null),
    status: z.string(),
    /** Read as prm-fields.ts says; text that is not plainly a number counts as none. */
    amount: z.preprocess(readPrmNumber, z.number().nullish().catch(null)),
    /** The activity's costs as this claim reports them (D19), read as `amount` is. */
    actualCosts: z.preprocess(readPrmNumber, z.number().nullish().catch(null)),
  })
  .loose();
export type PrmMdfClaimSummary = z.infer<typeof PrmMdfClaimSummary>;

/** A partner account as the PRM returns it. */
export const PrmPartner = Partner;
export type PrmPartner = z.infer<typeof PrmPartner>;

/**
 * A partner account as the lead routing reads it (D20): its id, name, type and CRM Partner ID checked;
 * its contact and region, which routing does not use, read leniently. A partner whose contact email
 * is empty or malformed must still get its leads routed.
 */
export const PrmRoutingPartner = Partner.extend({
  contactEmail: z.string().nullish().catch(null),
  region: z.string().nullish().catch(null),
}).loose();
export type PrmRoutingPartner = z.infer<typeof PrmRoutingPartner>;

/**
 * A partner account read only for whom to tell (D23, D24): its name and Partner Contact Email, every
 * other field unchecked. One account with an empty contact, or a type or region the domain does not
 * know, must not fail the digest of every partner: its contact is judged in `partnerContact`.
 */
export const PrmPartnerContact = z
  .object({
    id: z.number().int(),
    name: z.string().nullish().catch(null),
    contactEmail: z.unknown().optional(),
  })
  .loose();
export type PrmPartnerContact = z.infer<typeof PrmPartnerContact>;

/** A partner-facing lead as the PRM returns it (D20, D23): the fields the rules read, an instance's others kept. */
export const PrmPartnerLead = z
  .object({
    id: z.number().int().positive(),
    /**
     * '' when the PRM has none (a lead a partner registered by phone, an email the partner blanked): one
     * such lead must not fail the read of its page, and with it every partner's digest (D23) or recall.
     */
    email: z.string().nullish().transform((email) => email ?? ''),
    phone: z.string().nullable().optional(),
    partnerAccountId: z.number().int().nullable().optional(),
    crmPartnerId: z.string().nullable().optional(),
    partnerSyncedDate: z.string().nullable().optional(),
    leadAcquisitionSource: z.string().nullable().optional(),
    recalledDate: z.string().nullable().optional(),
    /** D24: when the partner's recall reminder for this lead went out (or ops were told it could not). */
    recallReminderDate: z.string().nullable().optional(),
    /** D24, D25: the lead status the partner sets in the portal (New until the partner works it). */
    status: z.string().nullable().optional(),
    /** D24, D25: the partner's notes on the lead. */
    partnerNotes: z.string().nullable().optional(),
    /** Null for a lead the PRM holds without a stamp (imported or migrated into it; docs/systems.md). */
    updated: z.string().nullable().optional(),
  })
  .loose();
export type PrmPartnerLead = z.infer<typeof PrmPartnerLead>;

/** `{ success: true, data: <record> }`: the PRM's answer to a get, create or update. */
export function prmRecordEnvelope<T extends z.ZodType>(record: T) {
  return z.object({ success: z.literal(true), data: record });
}

/** `{ success: true, data: { count, entity, results } }`: one page of a PRM listing. */
export function prmListEnvelope<T extends z.ZodType>(record: T) {
  return z.object({
    success: z.literal(true),
    data: z.object({
      count: z.number().int().nonnegative(),
      entity: z.string().optional(),
      results: z.array(record),
    }),
  });
}

/** The PRM's error envelope: `{ success: false, errors: [ { code, fields, message } ] }`. */
export const PrmErrorEnvelope = z.object({
  success: z.literal(false),
  errors: z.array(z.object({ code: z.string().optional(), fields: z.array(z.string()).optional(), message: z.string().optional() }).loose()),
});
