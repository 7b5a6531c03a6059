import { z } from 'zod';
import { HttpClient, type CallOptions, type HttpTransportOptions } from '../kit/http-client.ts';
import type { Limiter } from '../kit/rate-limiter.ts';
import { systemClock } from '../../server/engine/clock.ts';
import { DailyQuotaGate } from './marketo-daily-quota.ts';
import { checkIdentityResponse, checkMarketoResponse } from './marketo-errors.ts';
import { MARKETO_LIMITS } from './marketo-limits.ts';
import { createMarketoTokenCache } from './marketo-token.ts';

export interface MarketoClientOptions {
  /** `https://<munchkin id>.mktorest.com`. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Remembers a 607 for every call of the process; share it with the limiter (MarketoRateBudget). */
  quota: DailyQuotaGate;
  /** The connection's rate budget (MarketoRateBudget); the token request does not take from it. */
  limiter?: Limiter;
  http?: Omit<HttpTransportOptions, 'limiter'>;
}

/** A lead as Marketo answers it: `id` and the fields asked for (API names). */
export type MarketoLead = { id: number } & Record<string, unknown>;

const Reason = z.object({ code: z.union([z.string(), z.number()]).transform(String), message: z.string().default('') }).loose();
export type MarketoReason = z.infer<typeof Reason>;

const RecordResult = z
  .object({
    id: z.number().int().optional(),
    status: z.string(),
    reasons: z.array(Reason).optional(),
  })
  .loose();
export type MarketoRecordResult = z.infer<typeof RecordResult>;

const envelope = <T extends z.ZodType>(item: T) =>
  z
    .object({
      requestId: z.string().optional(),
      success: z.literal(true),
      result: z.array(item).default([]),
      nextPageToken: z.string().optional(),
      moreResult: z.boolean().optional(),
    })
    .loose();

const Lead = z.object({ id: z.number().int() }).loose();
const Activity = z
  .object({
    id: z.number().int(),
    marketoGUID: z.string().optional(),
    leadId: z.number().int(),
    activityDate: z.string(),
    activityTypeId: z.number().int(),
    primaryAttributeValueId: z.union([z.number(), z.string()]).nullish(),
    primaryAttributeValue: z.string().nullish(),
    attributes: z.array(z.object({ name: z.string(), value: z.unknown() }).loose()).optional(),
  })
  .loose();
export type MarketoActivity = z.infer<typeof Activity>;
const LeadChange = Activity.extend({
  fields: z.array(z.object({ name: z.string(), newValue: z.unknown(), oldValue: z.unknown() }).loose()).default([]),
});
export type MarketoLeadChange = z.infer<typeof LeadChange>;

/** A smart-campaign token: `{{my.Name}}` and its value. */
export interface CampaignToken {
  name: string;
  value: string;
}

/**
 * Marketo REST (docs/systems.md, Marketo REST): leads (upsert, read by field), static lists, smart
 * campaigns, activities. Authenticates with the identity service's client-credentials token, cached
 * with its expiry; a call refused with 601/602 gets a new token and is repeated once. Business errors
 * in HTTP 200 bodies become typed errors (marketo-errors.ts); 606 and 615 are waited out with
 * backoff and jitter; after a 607 no call goes out until the daily reset. Each method sends one call,
 * except the paged reads, which are async iterators fetching a page when the caller reaches it.
 */
export class MarketoClient {
  readonly #http: HttpClient;

  constructor(options: MarketoClientOptions) {
    const base = options.baseUrl.replace(/\/+$/, '');
    const transport = options.http ?? {};
    const clock = transport.clock ?? systemClock;
    // The identity service is not the REST API: no rate budget (its call runs inside an API call's slot,
    // so limiting it too could deadlock at the cap), and its 401 is about the credentials, not a session.
    const identity = new HttpClient({ ...transport, system: 'marketo', baseUrl: base, responseCheck: checkIdentityResponse });
    const tokens = createMarketoTokenCache({ identity, clientId: options.clientId, clientSecret: options.clientSecret, clock });
    const bearer = (token: string) => `Bearer ${token}`;
    this.#http = new HttpClient({
      // Marketo refuses at the door (606, 615) more often than it fails: give a refused call room to get in.
      retry: { attempts: 5, baseDelayMs: 2_000, maxDelayMs: 20_000 },
      ...transport,
      ...(options.limiter ? { limiter: options.limiter } : {}),
      system: 'marketo',
      baseUrl: `${base}/rest`,
      auth: {
        headers: async () => ({ Authorization: bearer(await tokens.get()) }),
        onUnauthorized: async ({ sentHeaders }) => {
          // Only the token this call used is dropped: a parallel call may already have replaced it.
          const current = tokens.peek();
          if (current && sentHeaders.Authorization === bearer(current)) tokens.invalidate(current);
          return true;
        },
      },
      responseCheck: (response, body) => checkMarketoResponse(response, body, () => options.quota.spent()),
    });
  }

  /**
   * Creates or updates up to 300 leads in one call (`POST /v1/leads.json`), matched on `lookupField`.
   * Answers one result per lead, in order: `created`, `updated` or `skipped` with Marketo's reasons.
   */
  async upsertLeads(
    request: { action: 'createOrUpdate' | 'updateOnly' | 'createOnly'; lookupField: string; leads: readonly Record<string, unknown>[] },
    options: CallOptions = {},
  ): Promise<MarketoRecordResult[]> {
    assertBatch('leads', request.leads.length, MARKETO_LIMITS.batchSize);
    const res = await this.#http.request({
      method: 'POST',
      path: 'v1/leads.json',
      body: { action: request.action, lookupField: request.lookupField, input: request.leads },
      // createOrUpdate and updateOnly by a lookup field land the same way twice; createOnly a second time is `skipped`, which the caller reads.
      idempotent: true,
      expect: envelope(RecordResult),
      ...options,
    });
    return res.body.result;
  }

  /**
   * The leads whose `filterType` field has one of `values`, a page (up to 300) at a time. Values are sent
   * 300 a call at most, fewer when the URL would pass Marketo's 8 KB limit.
   */
  async *leadsBy(filterType: string, values: readonly (string | number)[], fields: readonly string[] = [], options: CallOptions = {}): AsyncGenerator<MarketoLead, void, undefined> {
    for (const group of valueGroups(values, filterType, fields)) {
      let nextPageToken: string | undefined;
      do {
        const res = await this.#http.request({
          method: 'GET',
          path: 'v1/leads.json',
          query: { filterType, filterValues: group, fields: fields.length > 0 ? fields : undefined, batchSize: MARKETO_LIMITS.batchSize, nextPageToken },
          expect: envelope(Lead),
          ...options,
        });
        yield* res.body.result as MarketoLead[];
        // Marketo sends a token only while another page follows.
        nextPageToken = res.body.nextPageToken;
      } while (nextPageToken);
    }
  }

  /** Adds up to 300 leads to a static list (`POST /v1/lists/<id>/leads.json`): `added` or `skipped` each. */
  async addToList(listId: number, leadIds: readonly number[], options: CallOptions = {}): Promise<MarketoRecordResult[]> {
    return this.#listMembers('POST', listId, leadIds, options);
  }

  /** Removes up to 300 leads from a static list (`DELETE /v1/lists/<id>/leads.json`): `removed` or `skipped` each. */
  async removeFromList(listId: number, leadIds: readonly number[], options: CallOptions = {}): Promise<MarketoRecordResult[]> {
    return this.#listMembers('DELETE', listId, leadIds, options);
  }

  async #listMembers(method: 'POST' | 'DELETE', listId: number, leadIds: readonly number[], options: CallOptions): Promise<MarketoRecordResult[]> {
    assertBatch('leads', leadIds.length, MARKETO_LIMITS.batchSize);
    const res = await this.#http.request({
      method,
      path: `v1/lists/${positiveId('list', listId)}/leads.json`,
      body: { input: leadIds.map((id) => ({ id })) },
      // Being on a list (or off it) is a state: setting it twice is setting it once.
      idempotent: true,
      expect: envelope(RecordResult),
      ...options,
    });
    return res.body.result;
  }

  /**
   * Requests a smart campaign for up to 100 leads, with its `{{my.…}}` tokens
   * (`POST /v1/campaigns/<id>/trigger.json`). Not idempotent: each call runs the campaign's flow again.
   */
  async triggerCampaign(campaignId: number, leadIds: readonly number[], tokens: readonly CampaignToken[], options: CallOptions = {}): Promise<void> {
    assertBatch('leads', leadIds.length, MARKETO_LIMITS.campaignBatchSize);
    await this.#http.request({
      method: 'POST',
      path: `v1/campaigns/${positiveId('campaign', campaignId)}/trigger.json`,
      body: { input: { leads: leadIds.map((id) => ({ id })), ...(tokens.length > 0 ? { tokens } : {}) } },
      expect: envelope(z.unknown()),
      ...options,
    });
  }

  /** A paging token for the activities at or after `since` (`GET /v1/activities/pagingtoken.json`). */
  async activitiesPagingToken(since: string, options: CallOptions = {}): Promise<string> {
    const res = await this.#http.request({
      method: 'GET',
      path: 'v1/activities/pagingtoken.json',
      query: { sinceDatetime: since },
      expect: z.object({ success: z.literal(true), nextPageToken: z.string().min(1) }).loose(),
      ...options,
    });
    return res.body.nextPageToken;
  }

  /**
   * One page of activities from a paging token (`GET /v1/activities.json`), up to 300, oldest first.
   * `moreResult: false` means the page is the last one for now; its `nextPageToken` is where newer
   * activities will start.
   */
  async activitiesPage(
    pagingToken: string,
    activityTypeIds: readonly number[],
    options: CallOptions & { leadIds?: readonly number[] } = {},
  ): Promise<{ activities: MarketoActivity[]; nextPageToken: string; moreResult: boolean }> {
    const { leadIds, ...call } = options;
    assertBatch('activity types', activityTypeIds.length, MARKETO_LIMITS.activityTypesPerCall, 1);
    const res = await this.#http.request({
      method: 'GET',
      path: 'v1/activities.json',
      query: { nextPageToken: pagingToken, activityTypeIds, leadIds: leadIds && leadIds.length > 0 ? leadIds : undefined },
      expect: envelope(Activity).extend({ nextPageToken: z.string().min(1), moreResult: z.boolean() }),
      ...call,
    });
    return { activities: res.body.result, nextPageToken: res.body.nextPageToken, moreResult: res.body.moreResult };
  }

  /**
   * One page of lead field changes from a paging token (`GET /v1/activities/leadchanges.json`): the
   * Change Data Value activities of the named fields only, up to 300, oldest first.
   */
  async leadChangesPage(
    pagingToken: string,
    fields: readonly string[],
    options: CallOptions & { leadIds?: readonly number[] } = {},
  ): Promise<{ changes: MarketoLeadChange[]; nextPageToken: string; moreResult: boolean }> {
    const { leadIds, ...call } = options;
    assertBatch('fields', fields.length, MARKETO_LIMITS.batchSize, 1);
    if (leadIds) assertBatch('lead ids', leadIds.length, MARKETO_LIMITS.leadIdsPerActivityCall);
    const res = await this.#http.request({
      method: 'GET',
      path: 'v1/activities/leadchanges.json',
      query: { nextPageToken: pagingToken, fields, leadIds: leadIds && leadIds.length > 0 ? leadIds : undefined },
      expect: envelope(LeadChange).extend({ nextPageToken: z.string().min(1), moreResult: z.boolean() }),
      ...call,
    });
    return { changes: res.body.result, nextPageToken: res.body.nextPageToken, moreResult: res.body.moreResult };
  }

  /** Every activity of these types at or after `since`, fetched a page at a time as the caller iterates. */
  async *activities(since: string, activityTypeIds: readonly number[], options: CallOptions = {}): AsyncGenerator<MarketoActivity, void, undefined> {
    let token = await this.activitiesPagingToken(since, options);
    for (;;) {
      const page = await this.activitiesPage(token, activityTypeIds, options);
      yield* page.activities;
      if (!page.moreResult) return;
      token = page.nextPageToken;
    }
  }
}

function assertBatch(what: string, count: number, max: number, min = 0): void {
  if (count < min || count > max) throw new RangeError(`marketo: a call takes ${min > 0 ? `${min} to ` : 'at most '}${max} ${what}, got ${count}`);
}

function positiveId(what: string, id: number): number {
  if (!Number.isInteger(id) || id < 1) throw new RangeError(`marketo: a ${what} id is a positive whole number, got ${id}`);
  return id;
}

/**
 * The values of a lead read cut into groups Marketo takes in one call: at most 300, and few enough
 * that the URL stays under 8 KB (long values, such as email addresses, can pass it well before 300).
 */
export function valueGroups(values: readonly (string | number)[], filterType: string, fields: readonly string[]): string[][] {
  // What the URL holds besides the values: the host and path, the other parameters, a paging token.
  const fixed = 512 + encodeURIComponent(filterType).length + encodeURIComponent(fields.join(',')).length;
  const room = MARKETO_LIMITS.maxUrlBytes - fixed;
  const groups: string[][] = [];
  let group: string[] = [];
  let length = 0;
  for (const raw of values) {
    const value = String(raw);
    const cost = encodeURIComponent(value).length + 3; // the comma, encoded
    if (cost > room) throw new RangeError(`marketo: a filter value of ${value.length} characters cannot fit in Marketo's 8 KB URL limit`);
    if (group.length === MARKETO_LIMITS.batchSize || length + cost > room) {
      groups.push(group);
      group = [];
      length = 0;
    }
    group.push(value);
    length += cost;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}
