import { PartnerFundClaimStatus } from '../../schemas/domain/fund-claim.ts';
import { PartnerFundRequestStatus } from '../../schemas/domain/fund-request.ts';
import { CAMPAIGN_FIELDS, CAMPAIGN_NAME_MAX, ChannelPartnerInvolved } from '../../schemas/domain/partner-campaign.ts';

/**
 * The simulated org's sObjects. The Channel Management objects the connectors write are described field
 * by field (types, required fields, restricted picklists, references), so a wrong field name or value
 * fails here as it would in a real org. Other objects (Account, Lead, ...) take any field: their real
 * shape varies too much between orgs to guess. Custom fields (`__c`) are accepted everywhere, because
 * every org adds its own.
 */

/** Salesforce's field types, as far as the simulated org checks them. */
export type SfFieldType = 'id' | 'string' | 'textarea' | 'currency' | 'double' | 'int' | 'boolean' | 'date' | 'datetime' | 'picklist' | 'reference' | 'url';

/** One described field of an sObject. */
export interface SfField {
  name: string;
  label: string;
  type: SfFieldType;
  /** Not nillable and no default: needed to create a record. */
  required?: boolean;
  /** Set by Salesforce (Id, audit fields). */
  readOnly?: boolean;
  /** A restricted picklist's values: anything else is refused. */
  restrictedValues?: readonly string[];
  /** The value a create gets when the field is not given. */
  defaultValue?: unknown;
  /** The object a reference points at; the referenced record must exist. */
  referenceTo?: string;
  /** Usable as the external ID of an upsert. */
  externalId?: boolean;
  /** Longest text accepted. */
  length?: number;
  /** Smallest number accepted: the org's validation rule (FIELD_CUSTOM_VALIDATION_EXCEPTION) refuses less. */
  minValue?: number;
}

/** An sObject of the simulated org. */
export interface SfObject {
  name: string;
  label: string;
  /** The first three characters of its record Ids. */
  keyPrefix: string;
  /** Described fields besides the system ones; undefined means any field is accepted. */
  fields?: readonly SfField[];
}

/** Fields every record has, set by Salesforce. */
export const SYSTEM_FIELDS: readonly SfField[] = [
  { name: 'Id', label: 'Record ID', type: 'id', readOnly: true },
  { name: 'CreatedDate', label: 'Created Date', type: 'datetime', readOnly: true },
  { name: 'LastModifiedDate', label: 'Last Modified Date', type: 'datetime', readOnly: true },
  { name: 'SystemModstamp', label: 'System Modstamp', type: 'datetime', readOnly: true },
  // The user who created and last changed the record: the integration user for API writes, a person for
  // edits in the UI. Integrations that read changes back skip their own by it (echo loops, D1).
  { name: 'CreatedById', label: 'Created By ID', type: 'reference', readOnly: true },
  { name: 'LastModifiedById', label: 'Last Modified By ID', type: 'reference', readOnly: true },
];


const owner: SfField = { name: 'OwnerId', label: 'Owner ID', type: 'reference' };

const OBJECTS: readonly SfObject[] = [
  { name: 'Account', label: 'Account', keyPrefix: '001' },
  { name: 'Contact', label: 'Contact', keyPrefix: '003' },
  {
    // D1, D20: a Channel partner's lead, synced from the PRM; upserted by the lead key (its email in lower case).
    name: 'Lead',
    label: 'Lead',
    keyPrefix: '00Q',
    fields: [
      { name: 'FirstName', label: 'First Name', type: 'string', length: 40 },
      { name: 'LastName', label: 'Last Name', type: 'string', required: true, length: 80 },
      { name: 'Company', label: 'Company', type: 'string', required: true, length: 255 },
      { name: 'Email', label: 'Email', type: 'string', length: 80 },
      { name: 'Phone', label: 'Phone', type: 'string', length: 40 },
      { name: 'LeadSource', label: 'Lead Source', type: 'picklist' },
      { name: 'Status', label: 'Lead Status', type: 'picklist', defaultValue: 'Open - Not Contacted' },
      // Standard on orgs with partner relationship management enabled: the partner Account working the lead.
      { name: 'PartnerAccountId', label: 'Partner Account', type: 'reference', referenceTo: 'Account' },
      owner,
      { name: 'Partner_Synced_Date__c', label: 'Partner Synced Date', type: 'datetime' },
      // D25: when the vendor took the lead back from the partner (PartnerAccountId cleared then). [guess]
      { name: 'Partner_Recalled_Date__c', label: 'Partner Recalled Date', type: 'datetime' },
      { name: 'Partner_Lead_Key__c', label: 'Partner Lead Key', type: 'string', externalId: true, length: 80 },
    ],
  },
  {
    // D28, D29: a partner campaign, one per approved MDF request, upserted by the MDF number (D1). The
    // custom fields' names are the ones schemas/domain/partner-campaign.ts writes.
    name: 'Campaign',
    label: 'Campaign',
    keyPrefix: '701',
    fields: [
      { name: CAMPAIGN_FIELDS.name, label: 'Campaign Name', type: 'string', required: true, length: CAMPAIGN_NAME_MAX },
      { name: 'Type', label: 'Type', type: 'picklist' },
      { name: 'Status', label: 'Status', type: 'picklist', defaultValue: 'Planned' },
      { name: CAMPAIGN_FIELDS.startDate, label: 'Start Date', type: 'date' },
      { name: CAMPAIGN_FIELDS.endDate, label: 'End Date', type: 'date' },
      { name: CAMPAIGN_FIELDS.isActive, label: 'Active', type: 'boolean', defaultValue: false },
      // D28: the org's validation rule keeps every ROI ratio's divisor at 1 or more.
      { name: CAMPAIGN_FIELDS.budgetedCost, label: 'Budgeted Cost in Campaign', type: 'currency', minValue: 1 },
      { name: 'ActualCost', label: 'Actual Cost in Campaign', type: 'currency' },
      { name: 'ExpectedRevenue', label: 'Expected Revenue in Campaign', type: 'currency' },
      { name: 'ParentId', label: 'Parent Campaign', type: 'reference', referenceTo: 'Campaign' },
      owner,
      { name: CAMPAIGN_FIELDS.partnerInvolved, label: 'Is a Channel Partner Involved', type: 'picklist', restrictedValues: ChannelPartnerInvolved.options },
      { name: CAMPAIGN_FIELDS.partnerName, label: 'Channel Partner Name', type: 'string', length: 255 },
      { name: CAMPAIGN_FIELDS.mdfNumber, label: 'MDF Number', type: 'string', externalId: true, length: 80 },
    ],
  },
  {
    name: 'PartnerFundRequest',
    label: 'Funds Request',
    keyPrefix: '0Hf',
    fields: [
      { name: 'Title', label: 'Title', type: 'string', required: true, length: 255 },
      { name: 'RequestedAmount', label: 'Requested Amount', type: 'currency' },
      { name: 'Amount', label: 'Approved Amount', type: 'currency' },
      { name: 'Activity', label: 'Activity', type: 'picklist' },
      { name: 'Status', label: 'Status', type: 'picklist', restrictedValues: PartnerFundRequestStatus.options, defaultValue: 'Draft' },
      { name: 'ChannelPartnerId', label: 'Channel Partner', type: 'reference', referenceTo: 'Account' },
      { name: 'CampaignId', label: 'Campaign', type: 'reference', referenceTo: 'Campaign' },
      { name: 'AllocationId', label: 'Allocation', type: 'reference', referenceTo: 'PartnerFundAllocation' },
      { name: 'BudgetId', label: 'Budget', type: 'reference', referenceTo: 'PartnerMarketingBudget' },
      { name: 'Description', label: 'Description', type: 'textarea' },
      { name: 'DesiredOutcome', label: 'Desired Outcome', type: 'textarea' },
      owner,
      // The org's custom external ID holding the MDF number (D1).
      { name: 'MDF_Number__c', label: 'MDF Number', type: 'string', externalId: true, length: 80 },
    ],
  },
  {
    name: 'PartnerFundClaim',
    label: 'Funds Claim',
    keyPrefix: '0Hg',
    fields: [
      { name: 'Title', label: 'Title', type: 'string', required: true, length: 255 },
      { name: 'Amount', label: 'Amount', type: 'currency', required: true },
      { name: 'RequestId', label: 'Funds Request', type: 'reference', referenceTo: 'PartnerFundRequest', required: true },
      { name: 'Status', label: 'Status', type: 'picklist', restrictedValues: PartnerFundClaimStatus.options, defaultValue: 'Draft' },
      { name: 'Description', label: 'Description', type: 'textarea' },
      owner,
      // The org's custom external ID holding the claim's stable key from the PRM (D1), and the claim's
      // PRM URL: attachments stay in the PRM, the Funds Claim links to them (D2).
      { name: 'MDF_Claim_Key__c', label: 'MDF Claim Key', type: 'string', externalId: true, length: 80 },
      { name: 'PRM_Claim_URL__c', label: 'PRM Claim URL', type: 'url', length: 255 },
    ],
  },
  { name: 'PartnerFundAllocation', label: 'Fund Allocation', keyPrefix: '0Hh' },
  { name: 'PartnerMarketingBudget', label: 'Marketing Budget', keyPrefix: '0Hi' },
];

/** The objects the simulated org starts with, by API name. */
export const STANDARD_OBJECTS: ReadonlyMap<string, SfObject> = new Map(OBJECTS.map((o) => [o.name, o]));

/** A custom or org-specific field (`__c`), accepted on any object. */
export function isCustomField(name: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_]*__c$/i.test(name);
}

/** The described field with this name (any case), system fields included. */
export function describedField(object: SfObject, name: string): SfField | undefined {
  const lower = name.toLowerCase();
  return [...SYSTEM_FIELDS, ...(object.fields ?? [])].find((f) => f.name.toLowerCase() === lower);
}

/** An object that is not described: known only because a seed or a test put records in it. */
export function undescribedObject(name: string, index: number): SfObject {
  return { name, label: name, keyPrefix: `a0${'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[index % 26]}` };
}
