import { z } from 'zod';
import { Region } from './partner.ts';

/** D11: Open (submitted) → Approved | Denied | Canceled; Approved → Closed. */
export const MdfRequestStatus = z.enum(['Open', 'Approved', 'Denied', 'Canceled', 'Closed']);
export type MdfRequestStatus = z.infer<typeof MdfRequestStatus>;

export const ActivityDelivery = z.enum(['In Person', 'Virtual']);

/** A calendar date as the PRM stores it: YYYY-MM-DD, no time zone. */
export const IsoDate = z.iso.date();

/**
 * The PRM's `created`/`updated` stamps. Public clients filter on them as `'2026-01-01 00:00:00'` (UTC,
 * no zone), and nothing public says which form responses use: both are read, so a real PRM that
 * answers either way is not refused over a field no recipe needs.
 */
export const PrmTimestamp = z.union([z.iso.datetime({ offset: true }), z.iso.datetime({ local: true }), z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/)]);

/** A PRM form field left blank arrives as "" or null: both are "missing" to the D6 check, not a bad event. */
const orBlank = <T extends z.ZodType>(schema: T) => z.union([schema, z.literal('')]).nullish();

/**
 * The 13 fields of the MDF request form (D6). They are optional here because the PRM can deliver a
 * request with a field left empty: the intake recipe must tell the partner which one, not drop the event.
 */
export const MdfRequestForm = z.object({
  activityName: z.string().nullish(),
  activityType: z.string().nullish(),
  deliveryMode: orBlank(ActivityDelivery),
  description: z.string().nullish(),
  startDate: orBlank(IsoDate),
  endDate: orBlank(IsoDate),
  totalCost: z.number().nonnegative().nullish(),
  targetContacts: z.number().int().nonnegative().nullish(),
  estimatedPipeline: z.number().nonnegative().nullish(),
  partnerInvestment: z.number().nonnegative().nullish(),
  amountRequested: z.number().nonnegative().nullish(),
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

/**
 * An address a partner typed into a PRM form. The PRM stores it as typed, so a space a copy-paste left
 * before or after it arrives too; it is trimmed before it is checked, else the webhook would refuse
 * the event (400) at every redelivery and the request would be lost over a blank (D7, D8).
 */
export const TypedEmail = z.string().trim().pipe(z.email());

/** An MDF request as the PRM returns it (camelCase). Identity fields are always present. */
export const MdfRequest = MdfRequestForm.extend({
  id: z.number().int().positive(),
  /** The Funds Request Number: the key of the two-way sync with Salesforce (D1). */
  mdfNumber: z.string().min(1),
  partnerId: z.number().int().positive(),
  /** The partner user who submitted the form; the confirmation goes to them (D7). */
  submittedByEmail: TypedEmail,
  /** D8: the region where the activity takes place, which picks the approver. */
  activityRegion: orBlank(Region),
  /**
   * D13: the country where the activity takes place, ISO 3166-1 alpha-2 (`DE`; letter case is ignored).
   * Outside the activity region's target markets the request draws on the flexi-budget. Optional: a
   * request without one is not flexi.
   */
  activityCountry: orBlank(z.string().regex(/^[A-Za-z]{2}$/, 'an ISO 3166-1 alpha-2 country code, e.g. DE')),
  status: MdfRequestStatus,
  /** Why the request was decided or canceled. Ops may write internal notes here: partner emails do not quote it. */
  statusReason: z.string().nullish(),
  created: PrmTimestamp,
  updated: PrmTimestamp,
});
export type MdfRequest = z.infer<typeof MdfRequest>;
