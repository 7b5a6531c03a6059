import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { SalesforceConnection } from './salesforce-connection.ts';

/** Records a query step may return: the output goes into the run's journal, which is no place for a data dump. */
export const QUERY_RECORD_CAP = 2000;

/** `salesforce.query`: the records a SOQL query selects, at most 2,000 (`truncated` says when there were more). */
export const query = defineAction({
  description: `Runs a SOQL query and returns its records (at most ${QUERY_RECORD_CAP}).`,
  input: z.object({
    soql: z.string().trim().regex(/^select\s/i, 'a SOQL query starts with SELECT').describe("e.g. SELECT Id, Status FROM PartnerFundRequest WHERE MDF_Number__c = 'MDF-1001'"),
  }),
  output: z.object({
    records: z.array(z.record(z.string(), z.unknown())),
    truncated: z.boolean().describe(`True when the query selected more than ${QUERY_RECORD_CAP} records and only the first were kept.`),
  }),
  idempotent: true,
  run: async (input, ctx: ActionContext<SalesforceConnection>) => {
    const records: Array<Record<string, unknown>> = [];
    let truncated = false;
    for await (const record of ctx.connection.client.query(input.soql, { signal: ctx.signal, note: ctx.note })) {
      if (records.length === QUERY_RECORD_CAP) {
        truncated = true;
        break;
      }
      records.push(record);
    }
    if (truncated) ctx.note(`the query selected more than ${QUERY_RECORD_CAP} records; only the first ${QUERY_RECORD_CAP} were kept`);
    return { records, truncated };
  },
});
