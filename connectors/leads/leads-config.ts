import { z } from 'zod';

/** The lead import's settings (D22), read from the environment (LEADS_ENV). */
export const LeadsConfig = z.object({
  /** The largest CSV `POST /imports/leads` and `partnerflow import leads` accept; a larger one is refused whole. */
  importMaxBytes: z.coerce.number().int().min(1_024).max(100 * 1024 * 1024).default(10 * 1024 * 1024).describe('Largest lead import CSV, in bytes'),
  /** The Salesforce Lead field that keys a partner lead (its email, lower case): an external ID, so the sync is an upsert (D1). */
  salesforceLeadKeyField: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*__c$/, 'a custom external-ID field, e.g. Partner_Lead_Key__c').default('Partner_Lead_Key__c').describe('External-ID field of the Salesforce Lead'),
});
export type LeadsConfig = z.infer<typeof LeadsConfig>;

export const LEADS_ENV = {
  importMaxBytes: 'LEAD_IMPORT_MAX_BYTES',
  salesforceLeadKeyField: 'SALESFORCE_LEAD_KEY_FIELD',
} as const;

export const LEADS_MOCK_CONFIG: z.input<typeof LeadsConfig> = {};
