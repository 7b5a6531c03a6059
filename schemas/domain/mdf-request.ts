import { z } from 'zod';
import { PrmDate, PrmEmail, PrmNumber, prmPicklist, trimmed } from './prm-fields.ts';
import { Region } from './partner.ts';

/** D11: Open (submitted) → Approved | Denied | Canceled; Approved → Closed. */
export const MdfRequestStatus = z.enum(['Open', 'Approved', 'Denied', 'Canceled', 'Closed']);
/** The status as the PRM sends it: a picklist value, surrounding spaces ignored. */
const PrmRequestStatus = z.preprocess(trimmed, MdfRequestStatus);
export type MdfRequestStatus = z.infer<typeof MdfRequestStatus>;

const ACTIVITY_DELIVERIES = ['In Person', 'Virtual'] as const;
export const ActivityDelivery = z.enum(ACTIVITY_DELIVERIES);

/**
 * The PRM's `created`/`updated` stamps. Public clients filter on them as `'2026-01-01 00:00:00'` (UTC,
 * no zone), and nothing public says which form responses use: both are read, so a real PRM that
 * answers either way is not refused over a field no recipe needs.
 */
export const PrmTimestamp = z.union([z.iso.datetime({ offset: true }), z.iso.datetime({ local: true }), z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/)]);

/**
 * The 13 fields of the MDF request form (D6). They are optional here because the PRM can deliver a
 * request with a field left empty: the intake recipe must tell the partner which one, not drop the event.
 * Each is read as prm-fields.ts says (trimmed, a blank number missing, a number or a date-time at
 * midnight sent as text read): a value that cannot be read for sure arrives as the text sent, and the
 * intake check (mdf.check_request) tells the partner to correct that field (D6). Never a refused record.
 */
export const MdfRequestForm = z.object({
  activityName: z.string().nullish(),
  activityType: z.string().nullish(),
  /** In Person or Virtual in any letter case; another value is kept as sent, for the check to name. */
  deliveryMode: prmPicklist(ACTIVITY_DELIVERIES),
  description: z.string().nullish(),
  startDate: PrmDate,
  endDate: PrmDate,
  totalCost: PrmNumber,
  targetContacts: PrmNumber,
  estimatedPipeline: PrmNumber,
  partnerInvestment: PrmNumber,
  amountRequested: PrmNumber,
  verticalIndustry: z.string().nullish(),
  segment: z.string().nullish(),
});
export type MdfRequestForm = z.infer<typeof MdfRequestForm>;

/** The D6 field names in form order, with the label the partner sees. */
export const MDF_REQUEST_FORM_LABELS: Record<keyof MdfRequestForm, string> = {
  activityName: 'Activity Name',
  activityType: 'Type of Marketing Activity',
  deliveryMode: 'In Person or Virtual',
  description: 'Description',
  startDate: 'Expected Start Date',
  endDate: 'Expected End Date',
  totalCost: 'Total Cost (USD)',
  targetContacts: 'Target Number of Contacts',
  estimatedPipeline: 'Estimated Pipeline Created (USD)',
  partnerInvestment: 'Partner Investment (USD)',
  amountRequested: 'Total Amount Required from the MDF programme (USD)',
  verticalIndustry: 'Vertical Industry Target',
  segment: 'Segment Target',
};

/** An MDF request as the PRM returns it (camelCase). Identity fields are always present. */
export const MdfRequest = MdfRequestForm.extend({
  id: z.number().int().positive(),
  /** The Funds Request Number: the key of the two-way sync with Salesforce (D1). */
  mdfNumber: z.string().min(1),
  partnerId: z.number().int().positive(),
  /**
   * The partner user who submitted the form; partner emails about the request go to them (D7). The PRM
   * stores it as typed: read as prm-fields.ts reads an email field (`PrmEmail`: trimmed, blank null, an
   * address or the text sent). The webhook once refused a request whose value was no address (400, lost
   * for good); now it is received and the recipes email the partner's contact email instead, or tell ops
   * (mdf.partner_address).
   */
  submittedByEmail: PrmEmail,
  /**
   * D8: the region where the activity takes place, which picks the approver. Read as a region code
   * (`readRegion`); one that is no region code is kept as sent and the intake check tells the partner
   * (`isRegionCode`); a code the approvers table does not have fails the approval run for ops to add it.
   */
  activityRegion: z.preprocess(readRegion, z.string().nullish()),
  /**
   * D13: the country where the activity takes place, ISO 3166-1 alpha-2 (`DE`; letter case is ignored).
   * Outside the activity region's target markets the request draws on the flexi-budget. Optional: a
   * request without one is not flexi. Trimmed, and UK read as GB (`readCountry`); anything but two
   * letters is kept as sent, and the intake check tells the partner to correct it (`isCountryCode`), as
   * it does two letters that name no country.
   */
  activityCountry: z.preprocess(readCountry, z.string().nullish()),
  status: PrmRequestStatus,
  /** Why the request was decided or canceled. Ops may write internal notes here: partner emails do not quote it. */
  statusReason: z.string().nullish(),
  created: PrmTimestamp,
  /**
   * When the PRM last changed the request; null on a record it holds without an Updated stamp (imported
   * or migrated, docs/systems.md) until its next write. Read so, the request is received, not refused.
   */
  updated: PrmTimestamp.nullable(),
});
export type MdfRequest = z.infer<typeof MdfRequest>;

/** D13: an Activity Country as the rule needs it: two letters (ISO 3166-1 alpha-2, any letter case). */
/** D8: whether a value is a region code as the approvers table holds them (capitals: EMEA, AMER). */
export const isRegionCode = (value: unknown): boolean => Region.safeParse(value).success;

/**
 * An activity region as the PRM sends it, trimmed, in capitals when that makes it a region code (`emea`
 * is EMEA: the approvers table holds codes in capitals only, so a lower-case code could never be routed
 * nor a row be added for it); anything else as sent, for the intake check to tell the partner.
 */
function readRegion(value: unknown): unknown {
  const t = trimmed(value);
  return typeof t === 'string' && isRegionCode(t.toUpperCase()) ? t.toUpperCase() : t;
}

export const isCountryCode = (value: unknown): boolean => typeof value === 'string' && /^[A-Za-z]{2}$/.test(value);

/**
 * D13: an Activity Country as the PRM sends it, trimmed; `UK` (any letter case) is GB. ISO 3166-1 reserves
 * UK for the United Kingdom, and partners write it so: compared as typed, a London event was not in EMEA's
 * target markets (GB), so it went to the regional marketing lead and drew on the flexi-budget.
 */
function readCountry(value: unknown): unknown {
  const t = trimmed(value);
  return typeof t === 'string' && t.toUpperCase() === 'UK' ? 'GB' : t;
}
