import { ActivityDelivery, MDF_REQUEST_FORM_LABELS, MdfRequestStatus } from '../../schemas/domain/mdf-request.ts';
import { ClaimAttachmentKind, MdfClaimStatus, MissingPopItem } from '../../schemas/domain/mdf-claim.ts';
import { PartnerType } from '../../schemas/domain/partner.ts';

/**
 * The simulated PRM's objects and their fields: what `_describe` answers, and how a field's API name
 * (PascalCase, used in writes, filters and orderby) maps to its key in responses (camelCase).
 */

/** How the PRM types a field: what a write must send and how a filter compares it. */
export type PrmFieldType = 'integer' | 'decimal' | 'string' | 'textarea' | 'email' | 'boolean' | 'date' | 'datetime' | 'picklist' | 'attachments';

/** One field of a PRM object, as `_describe` lists it. */
export interface PrmField {
  /** API name, as writes, filters and orderby spell it: `MdfNumber`, `Updated`. */
  name: string;
  /** The key in a response record: `mdfNumber`, `updated`. */
  key: string;
  label: string;
  type: PrmFieldType;
  /** Needed to create a record. */
  required?: boolean;
  /** Set by the PRM (id, timestamps); a write naming it is refused. */
  readOnly?: boolean;
  /** The allowed values of a picklist (for `attachments`: of each attachment's kind). */
  values?: readonly string[];
}

/** A PRM object (`Account`, `MdfRequest__co`) and its fields. */
export interface PrmObject {
  name: string;
  label: string;
  fields: readonly PrmField[];
}

/** The object holding partner accounts. */
export const PARTNER_OBJECT = 'Account';
/** The MDF request object: a custom object (`__co`), its name differs per instance (configurable in the connector). */
export const MDF_REQUEST_OBJECT = 'MdfRequest__co';
/** The MDF claim object: a custom object like the request's, its name configurable in the connector. */
export const MDF_CLAIM_OBJECT = 'MdfClaim__co';

const id: PrmField = { name: 'Id', key: 'id', label: 'Id', type: 'integer', readOnly: true };
const created: PrmField = { name: 'Created', key: 'created', label: 'Created', type: 'datetime', readOnly: true };
const updated: PrmField = { name: 'Updated', key: 'updated', label: 'Updated', type: 'datetime', readOnly: true };

const ACCOUNT: PrmObject = {
  name: PARTNER_OBJECT,
  label: 'Partner Account',
  fields: [
    id,
    { name: 'Name', key: 'name', label: 'Name', type: 'string', required: true },
    { name: 'Type', key: 'type', label: 'Partner Type', type: 'picklist', values: PartnerType.options, required: true },
    { name: 'MarketingReady', key: 'marketingReady', label: 'Marketing Ready', type: 'boolean' },
    { name: 'CrmId', key: 'crmId', label: 'CRM Account ID', type: 'string', required: true },
    { name: 'ContactEmail', key: 'contactEmail', label: 'Partner Contact Email', type: 'email' },
    { name: 'Region', key: 'region', label: 'Region', type: 'string', required: true },
    created,
    updated,
  ],
};

const MDF_REQUEST: PrmObject = {
  name: MDF_REQUEST_OBJECT,
  label: 'MDF Request',
  fields: [
    id,
    { name: 'MdfNumber', key: 'mdfNumber', label: 'Funds Request Number', type: 'string' },
    { name: 'PartnerId', key: 'partnerId', label: 'Partner Account', type: 'integer', required: true },
    { name: 'SubmittedByEmail', key: 'submittedByEmail', label: 'Submitted By (Email)', type: 'email', required: true },
    { name: 'ActivityRegion', key: 'activityRegion', label: 'Activity Region', type: 'string' },
    // D13: ISO 3166-1 alpha-2; outside the region's target markets the request is flexi.
    { name: 'ActivityCountry', key: 'activityCountry', label: 'Activity Country', type: 'string' },
    { name: 'Status', key: 'status', label: 'Status', type: 'picklist', values: MdfRequestStatus.options, required: true },
    { name: 'StatusReason', key: 'statusReason', label: 'Status Reason', type: 'textarea' },
    { name: 'ActivityName', key: 'activityName', label: MDF_REQUEST_FORM_LABELS.activityName, type: 'string' },
    { name: 'ActivityType', key: 'activityType', label: MDF_REQUEST_FORM_LABELS.activityType, type: 'string' },
    { name: 'DeliveryMode', key: 'deliveryMode', label: MDF_REQUEST_FORM_LABELS.deliveryMode, type: 'picklist', values: ActivityDelivery.options },
    { name: 'Description', key: 'description', label: MDF_REQUEST_FORM_LABELS.description, type: 'textarea' },
    { name: 'StartDate', key: 'startDate', label: MDF_REQUEST_FORM_LABELS.startDate, type: 'date' },
    { name: 'EndDate', key: 'endDate', label: MDF_REQUEST_FORM_LABELS.endDate, type: 'date' },
    { name: 'TotalCost', key: 'totalCost', label: MDF_REQUEST_FORM_LABELS.totalCost, type: 'decimal' },
    { name: 'TargetContacts', key: 'targetContacts', label: MDF_REQUEST_FORM_LABELS.targetContacts, type: 'integer' },
    { name: 'EstimatedPipeline', key: 'estimatedPipeline', label: MDF_REQUEST_FORM_LABELS.estimatedPipeline, type: 'decimal' },
    { name: 'PartnerInvestment', key: 'partnerInvestment', label: MDF_REQUEST_FORM_LABELS.partnerInvestment, type: 'decimal' },
    { name: 'AmountRequested', key: 'amountRequested', label: MDF_REQUEST_FORM_LABELS.amountRequested, type: 'decimal' },
    { name: 'VerticalIndustry', key: 'verticalIndustry', label: MDF_REQUEST_FORM_LABELS.verticalIndustry, type: 'string' },
    { name: 'Segment', key: 'segment', label: MDF_REQUEST_FORM_LABELS.segment, type: 'string' },
    created,
    updated,
  ],
};

/**
 * An MDF claim (D15–D19). Attachments are simulated as a list of `{ name, kind, url }` on the record: the
 * files themselves stay in the PRM (D2), and a claim carries them as links. [guess] How a real instance
 * models them (a related object, a file field) is not public.
 */
const MDF_CLAIM: PrmObject = {
  name: MDF_CLAIM_OBJECT,
  label: 'MDF Claim',
  fields: [
    id,
    { name: 'MdfNumber', key: 'mdfNumber', label: 'Funds Request Number', type: 'string', required: true },
    { name: 'Title', key: 'title', label: 'Claim Title', type: 'string' },
    { name: 'Amount', key: 'amount', label: 'Claim Amount (USD)', type: 'decimal' },
    { name: 'PaidDate', key: 'paidDate', label: 'Paid Date', type: 'date' },
    { name: 'ActualCosts', key: 'actualCosts', label: 'Actual Costs (USD)', type: 'decimal' },
    { name: 'Attachments', key: 'attachments', label: 'Attachments', type: 'attachments', values: ClaimAttachmentKind.options },
    { name: 'MissingPop', key: 'missingPop', label: 'Missing POP', type: 'picklist', values: MissingPopItem.options },
    { name: 'Status', key: 'status', label: 'Claim Approval Status', type: 'picklist', values: MdfClaimStatus.options, required: true },
    { name: 'StatusReason', key: 'statusReason', label: 'Status Reason', type: 'textarea' },
    { name: 'PurchaseOrderNumber', key: 'purchaseOrderNumber', label: 'Purchase Order Number', type: 'string' },
    created,
    updated,
  ],
};

/** The partner-facing lead object (D1, D20, D23): its API name is not public either; configurable in the connector (`PRM_LEAD_OBJECT`). [guess] */
export const PARTNER_LEAD_OBJECT = 'Lead';

/**
 * A lead shared with a partner (D20): the partner sees and works it in the portal. The digest (D23) lists
 * the leads by Partner Synced Date, the recall (D24, D25) counts from it. [guess for every API name]
 */
const PARTNER_LEAD: PrmObject = {
  name: PARTNER_LEAD_OBJECT,
  label: 'Lead',
  fields: [
    id,
    { name: 'Email', key: 'email', label: 'Email', type: 'email', required: true },
    { name: 'FirstName', key: 'firstName', label: 'First Name', type: 'string' },
    { name: 'LastName', key: 'lastName', label: 'Last Name', type: 'string' },
    { name: 'Company', key: 'company', label: 'Company', type: 'string' },
    // D22: the PRM sync needs a phone number: the partner follows up by phone.
    { name: 'Phone', key: 'phone', label: 'Phone', type: 'string', required: true },
    { name: 'PartnerAccountId', key: 'partnerAccountId', label: 'Partner Account', type: 'integer', required: true },
    { name: 'CrmPartnerId', key: 'crmPartnerId', label: 'CRM Partner ID', type: 'string' },
    { name: 'PartnerSyncedDate', key: 'partnerSyncedDate', label: 'Partner Synced Date', type: 'datetime' },
    { name: 'LeadAcquisitionSource', key: 'leadAcquisitionSource', label: 'Lead Acquisition Source', type: 'string' },
    { name: 'InterestingMoment', key: 'interestingMoment', label: 'Interesting Moment', type: 'textarea' },
    // D24, D25: what the partner works in the portal (the runtime never writes them): a change is partner activity. [guess]
    { name: 'Status', key: 'status', label: 'Lead Status', type: 'string' },
    { name: 'PartnerNotes', key: 'partnerNotes', label: 'Partner Notes', type: 'textarea' },
    // D25: set when the vendor takes the lead back after 30 days without partner activity; the portal no longer lists it to the partner. [guess]
    { name: 'RecalledDate', key: 'recalledDate', label: 'Recalled Date', type: 'datetime' },
    // D24: set by the recall reminder (the lead-recall recipe), so no lead is reminded twice and none recalled before its notice. [guess]
    { name: 'RecallReminderDate', key: 'recallReminderDate', label: 'Recall Reminder Date', type: 'datetime' },
    created,
    updated,
  ],
};

/** Every object the simulated PRM has, by API name. */
export const PRM_OBJECTS: Readonly<Record<string, PrmObject>> = {
  [PARTNER_OBJECT]: ACCOUNT,
  [MDF_REQUEST_OBJECT]: MDF_REQUEST,
  [MDF_CLAIM_OBJECT]: MDF_CLAIM,
  [PARTNER_LEAD_OBJECT]: PARTNER_LEAD,
};

/** Custom fields an instance adds (`Budget_Code__cf`): the mock cannot know them, so it keeps whatever it is given. */
export function isCustomField(name: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_]*__cf$/.test(name);
}

/**
 * The field a filter, orderby or fields list names. Those are read case-insensitively (public clients
 * write both `Updated` and `updated`); custom `__cf` fields resolve to themselves.
 */
export function resolveReadField(object: PrmObject, name: string): PrmField | undefined {
  const lower = name.toLowerCase();
  const known = object.fields.find(
    (f) => f.name.toLowerCase() === lower || f.key.toLowerCase() === lower,
  );
  if (known) return known;
  return isCustomField(name) ? { name, key: name, label: name, type: 'string' } : undefined;
}

/** The field a write names: writes take API names exactly (PascalCase), as the real PRM's do. */
export function resolveWriteField(object: PrmObject, name: string): PrmField | undefined {
  const known = object.fields.find((f) => f.name === name);
  if (known) return known;
  return isCustomField(name) ? { name, key: name, label: name, type: 'string' } : undefined;
}
