import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { pollInput, pollPage } from '../kit/poll-page.ts';
import type { SalesforceConnection } from './salesforce-connection.ts';

/** The Funds objects whose changes flow back to the PRM (D1). */
export const FundObject = z.enum(['PartnerFundRequest', 'PartnerFundClaim']);

/** A Funds Request or Funds Claim that someone other than this integration changed (D1). */
export const ChangedFundRecord = z.object({
  object: FundObject,
  id: z.string().describe('The Salesforce record Id.'),
  key: z.string().describe("The record's key in the PRM: the MDF number of a Funds Request, the claim key of a Funds Claim."),
  status: z.string().nullable(),
  amount: z.number().nullable(),
  last_modified: z.string().describe('LastModifiedDate, as Salesforce writes it (e.g. 2026-04-20T09:00:00.000+0000): the poll cursor.'),
  last_modified_by: z.string().describe('LastModifiedById: the user who made the change.'),
  mdf_number: z
    .string()
    .nullable()
    .optional()
    .describe("A Funds Claim's MDF number: its Funds Request's (RequestId), null when it is linked to none or that has none; the business key of the claim's run. Absent for a Funds Request (its key is the MDF number)."),
});
export type ChangedFundRecord = z.infer<typeof ChangedFundRecord>;

/**
 * `salesforce.list_changed_fund_records` (D1, a `poll` action): the Funds Requests or Funds Claims
 * changed at or after `since` by anyone but the integration user, oldest change first, a page
 * (Salesforce's, up to 2,000 records) at a time. The SOQL:
 *
 *   SELECT Id, <key field>, Status, Amount, LastModifiedDate, LastModifiedById FROM <object>
 *   WHERE LastModifiedDate >= <since> AND LastModifiedById != '<integration user>' AND <key field> != null
 *   ORDER BY LastModifiedDate, Id
 *
 * `>=`, not `>`: a change in the same second as the watermark, made after the poll that set it, is read
 * (the recipe's dedup key drops the ones already seen). The integration user's own writes (the PRM →
 * Salesforce sync) are left out: they are not changes to bring back (no echo loop).
 *
 * The first poll (review8 F3) reads from `start_at`, by default the time of the recipe's first poll in
 * this store (`pollStart`: the poll runtime keeps it as the watermark from that first try on): an
 * edit made before the recipe went live is history, not news. Before, the first poll (since null) read
 * every Funds Request a person ever edited and wrote a year-old Rejected over an Open request.
 */
export const listChangedFundRecords = defineAction({
  description: 'Funds Requests or Funds Claims changed in Salesforce at or after `since`, by anyone but this integration (a poll action).',
  input: z.object({
    ...pollInput,
    object: FundObject.describe('PartnerFundRequest (keyed by the MDF number) or PartnerFundClaim (keyed by the claim key).'),
    start_at: z.iso
      .datetime({ offset: true })
      .optional()
      .describe(
        'Where the first poll starts (no watermark yet): the changes made at or after it are read. Default: the time of the first poll in this store (go-live). After a store lost without a backup, set it to the last time the old store polled, so the changes made since are not skipped.',
      ),
  }),
  output: pollPage(ChangedFundRecord),
  idempotent: true,
  // Salesforce stamps LastModifiedDate to the second: the start is the whole second of the first try,
  // so an edit made in that second, after the try, is read (>=), not lost below a start with milliseconds.
  pollStart: (input, now) => input.start_at ?? new Date(Math.floor(now / 1000) * 1000).toISOString(),
  run: async (input, ctx: ActionContext<SalesforceConnection>) => {
    const { client, mdfNumberField, claimKeyField, integrationUserId } = ctx.connection;
    const keyField = input.object === 'PartnerFundRequest' ? mdfNumberField : claimKeyField;
    const call = { signal: ctx.signal, note: ctx.note };
    const writer = integrationUserId ?? (await client.sessionUserId());
    if (!writer) {
      throw Object.assign(new Error('salesforce: the token answer names no user; set SALESFORCE_INTEGRATION_USER_ID to the User Id the integration writes as, so its own writes are not read back'), { retryable: false });
    }
    const page = input.page
      ? await client.queryPage({ nextRecordsUrl: input.page }, call)
      : await client.queryPage({ soql: changedSince(input.object, keyField, writer, input.since ?? input.start_at ?? null) }, call);
    const mdfNumbers = input.object === 'PartnerFundClaim' ? await requestMdfNumbers(page.records, mdfNumberField, ctx) : null;
    const items = page.records.map((r): ChangedFundRecord => ({
      object: input.object,
      id: String(r.Id),
      key: String(r[keyField]),
      status: typeof r.Status === 'string' ? r.Status : null,
      amount: typeof r.Amount === 'number' ? r.Amount : null,
      last_modified: String(r.LastModifiedDate),
      last_modified_by: String(r.LastModifiedById),
      ...(mdfNumbers ? { mdf_number: (typeof r.RequestId === 'string' && mdfNumbers.get(r.RequestId)) || null } : {}),
    }));
    return { items, next_page: page.nextRecordsUrl };
  },
});

/** Request Ids per MDF-number query: 200 Ids keep the SOQL (sent in the URL) short. */
const REQUEST_IDS_PER_QUERY = 200;

/**
 * The MDF numbers of the Funds Requests a page of claims is linked to (RequestId → MDF number): one
 * more query per 200 requests, only for a page that has claims.
 */
async function requestMdfNumbers(claims: ReadonlyArray<Record<string, unknown>>, mdfNumberField: string, ctx: ActionContext<SalesforceConnection>): Promise<Map<string, string>> {
  const ids = [...new Set(claims.map((c) => c.RequestId).filter((id): id is string => typeof id === 'string' && id !== ''))];
  const numbers = new Map<string, string>();
  for (let i = 0; i < ids.length; i += REQUEST_IDS_PER_QUERY) {
    const list = ids
      .slice(i, i + REQUEST_IDS_PER_QUERY)
      .map((id) => `'${id.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`)
      .join(', ');
    for await (const r of ctx.connection.client.query(`SELECT Id, ${mdfNumberField} FROM PartnerFundRequest WHERE Id IN (${list})`, { signal: ctx.signal, note: ctx.note })) {
      if (typeof r[mdfNumberField] === 'string' && r[mdfNumberField] !== '') numbers.set(String(r.Id), r[mdfNumberField] as string);
    }
  }
  return numbers;
}

/** The SOQL of one poll; `since` (any ISO form, Salesforce's `+0000` too) becomes a dateTime literal. */
export function changedSince(object: string, keyField: string, integrationUserId: string, since: string | null): string {
  const conditions = [`LastModifiedById != '${integrationUserId}'`, `${keyField} != null`];
  if (since !== null) {
    const at = Date.parse(since.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    if (Number.isNaN(at)) throw Object.assign(new RangeError(`since is not a time: ${since}`), { retryable: false });
    conditions.unshift(`LastModifiedDate >= ${new Date(at).toISOString()}`);
  }
  const requestId = object === 'PartnerFundClaim' ? ', RequestId' : '';
  return `SELECT Id, ${keyField}, Status, Amount, LastModifiedDate, LastModifiedById${requestId} FROM ${object} WHERE ${conditions.join(' AND ')} ORDER BY LastModifiedDate, Id`;
}
