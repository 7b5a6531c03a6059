/**
 * The Marketo lead fields Partnerflow knows, in one place: the connector's actions, the simulated
 * Marketo (its describe endpoint and its field checks) and, later, the lead recipes all read them here.
 *
 * The domain's fields (the rules D20–D27) are custom fields of the vendor's instance: their labels are
 * known, their API names are not public (docs/systems.md, Marketo REST, Lead fields). The names below
 * are our guess, in Marketo's usual camelCase; when the real instance differs, change them here only.
 */

/** A field's type, as Marketo's describe answers it. */
export type MarketoFieldType = 'integer' | 'string' | 'email' | 'phone' | 'boolean' | 'date' | 'datetime' | 'text' | 'reference';

/** One lead field: its REST API name, its label in the Marketo UI, its type. */
export interface MarketoLeadField {
  name: string;
  label: string;
  type: MarketoFieldType;
  /** Set by Marketo, refused in a write. */
  readOnly?: boolean;
}

/** The custom fields of the partner-lead rules, by what the rules call them. [guess for every API name] */
export const PARTNER_LEAD_FIELDS = {
  /** D20: the partner's Salesforce Account Id (18 characters), from the import or `utm_partnerid`. */
  crmPartnerId: { name: 'crmPartnerID', label: 'CRM Partner ID', type: 'string' },
  /** D20, D25, D27: the partner account the lead is shared with; set, it keeps the lead out of general marketing sends. */
  impartnerPartnerAccount: { name: 'impartnerPartnerAccount', label: 'Impartner Partner Account', type: 'string' },
  /** D20: true for a Channel partner's lead. */
  partnerConsent: { name: 'partnerConsent', label: 'Partner Consent', type: 'boolean' },
  /** D20, D25: true while a Channel partner holds the lead (no scoring, no marketing). */
  marketingSuspended: { name: 'marketingSuspended', label: 'Marketing Suspended', type: 'boolean' },
  /**
   * D25, D27: the lead's Marketing Suspended when it was shared (the routing records it when no partner
   * held the lead), which the recall gives back: a lead ops had suspended (a legal hold, say) stays so.
   * Empty on leads shared before it existed: their recall sets Marketing Suspended = false, as before.
   */
  marketingSuspendedBeforeShare: { name: 'marketingSuspendedBeforeShare', label: 'Marketing Suspended Before Share', type: 'boolean' },
  /** D26: `Partner Sponsored Event` exempts the lead from recall. */
  leadAcquisitionSource: { name: 'leadAcquisitionSource', label: 'Lead Acquisition Source', type: 'string' },
  /** D23–D25: when the lead was synced to the PRM; the digest and the recall count from it. */
  partnerSyncedDate: { name: 'partnerSyncedDate', label: 'Partner Synced Date', type: 'datetime' },
  /**
   * D24, D25: when the partner last worked the lead, as the lead-activity polls saw it (a status change in
   * the PRM, or a Lead Status change reaching Marketo). The reminder and the recall skip a lead whose
   * value is after its Partner Synced Date. Only the activity recipes write it; its own Change Data Value
   * is not partner activity (the Marketo poll reads the changes of `partner_fields` only).
   */
  lastPartnerActivity: { name: 'lastPartnerActivity', label: 'Last Partner Activity', type: 'datetime' },
  /**
   * D24, D25: whose work Last Partner Activity is (the PRM account id, as Impartner Partner Account). A
   * lead shared with two partners (a joint booth: one PRM lead each, one Marketo lead) has one Last
   * Partner Activity; this says which partner's copy it keeps. Empty on activity recorded before it
   * existed: that activity counts for every partner, as it did then.
   */
  lastPartnerActivityAccount: { name: 'lastPartnerActivityAccount', label: 'Last Partner Activity Account', type: 'string' },
  /** D20, D21: Channel or Alliance. */
  partnerType: { name: 'partnerType', label: 'Partner Type', type: 'string' },
  /** D22: opted in to the vendor's own emails; the list import sets it only on an explicit yes. */
  optedIn: { name: 'optedIn', label: 'Opted In', type: 'boolean' },
  /** D22: opted in to partner communications. */
  subscribePartner: { name: 'subscribePartner', label: 'Subscribe - Partner', type: 'boolean' },
  /**
   * The person is an employee of a Channel partner (the handbook's glossary); true suppresses the record
   * from general marketing for good. Ops set it; the routing never does (a partner's prospect is no
   * employee, and the recall, D25, must let marketing reach it again).
   */
  channelRecord: { name: 'channelRecord', label: 'Channel Record', type: 'boolean' },
  /** The person is an employee of an Alliance partner (the glossary); like Channel Record, set by ops only. */
  allianceRecord: { name: 'allianceRecord', label: 'Alliance Record', type: 'boolean' },
} as const satisfies Record<string, MarketoLeadField>;

/** Standard fields every Marketo instance has (a subset: the ones the rules and the recipes read or write). [vendor] */
export const STANDARD_LEAD_FIELDS: readonly MarketoLeadField[] = [
  { name: 'id', label: 'Id', type: 'integer', readOnly: true },
  { name: 'email', label: 'Email Address', type: 'email' },
  { name: 'firstName', label: 'First Name', type: 'string' },
  { name: 'lastName', label: 'Last Name', type: 'string' },
  { name: 'company', label: 'Company Name', type: 'string' },
  { name: 'title', label: 'Job Title', type: 'string' },
  { name: 'phone', label: 'Phone Number', type: 'phone' },
  { name: 'country', label: 'Country', type: 'string' },
  { name: 'leadSource', label: 'Lead Source', type: 'string' },
  { name: 'leadStatus', label: 'Lead Status', type: 'string' },
  { name: 'leadScore', label: 'Lead Score', type: 'integer' },
  { name: 'unsubscribed', label: 'Unsubscribed', type: 'boolean' },
  { name: 'createdAt', label: 'Created At', type: 'datetime', readOnly: true },
  { name: 'updatedAt', label: 'Updated At', type: 'datetime', readOnly: true },
];

/** Every lead field the simulated Marketo has: the standard ones, then the partner-lead ones. */
export const MARKETO_LEAD_FIELDS: readonly MarketoLeadField[] = [...STANDARD_LEAD_FIELDS, ...Object.values(PARTNER_LEAD_FIELDS)];

/** The fields a lead read answers when the call names none (Marketo's default set). [vendor] */
export const DEFAULT_LEAD_READ_FIELDS = ['id', 'email', 'firstName', 'lastName', 'updatedAt', 'createdAt'] as const;

/**
 * Activity types the connector and the simulated Marketo name. Marketo numbers its activity types per
 * instance, but these standard ones are the same everywhere as far as public clients show. [guess]
 */
export const MARKETO_ACTIVITY_TYPES = {
  newLead: { id: 12, name: 'New Lead' },
  mergeLeads: { id: 32, name: 'Merge Leads' },
  changeDataValue: { id: 13, name: 'Change Data Value' },
  addToList: { id: 24, name: 'Add to List' },
  removeFromList: { id: 25, name: 'Remove from List' },
  interestingMoment: { id: 46, name: 'Interesting Moment' },
  clickEmail: { id: 11, name: 'Click Email' },
  openEmail: { id: 10, name: 'Open Email' },
  fillOutForm: { id: 2, name: 'Fill Out Form' },
  visitWebpage: { id: 1, name: 'Visit Webpage' },
} as const;
