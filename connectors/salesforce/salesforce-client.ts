import { z } from 'zod';
import { HttpClient, type CallOptions, type HttpRequest, type HttpTransportOptions } from '../kit/http-client.ts';
import { pagesByNextUrl } from '../kit/paginate.ts';
import type { TokenCache } from '../kit/token-cache.ts';
import { checkOAuthResponse, checkSalesforceResponse, salesforceErrorMessage } from './salesforce-errors.ts';
import { createSessionCache, type SalesforceCredentials, type SalesforceSession } from './salesforce-session.ts';

export interface SalesforceClientOptions extends SalesforceCredentials {
  /** @default '61.0' */
  apiVersion?: string;
  http?: HttpTransportOptions;
}

/** A record's fields as Salesforce takes and returns them (API names). */
export type SObjectFields = Record<string, unknown>;

const UpsertResult = z.object({ id: z.string().min(15), success: z.boolean(), created: z.boolean() }).loose();
const CreateResult = z.object({ id: z.string().min(15), success: z.boolean() }).loose();
const SObject = z.record(z.string(), z.unknown());
const CollectionResultShape = z.object({ id: z.string().nullish(), success: z.boolean(), errors: z.array(z.object({ message: z.string() }).loose()).default([]) }).loose();
/** One record's outcome in an sObject Collections answer. */
export type CollectionResult = z.infer<typeof CollectionResultShape>;
/** Most records one sObject Collections call takes. [doc] */
export const COLLECTION_LIMIT = 200;
const QueryPage = z.object({
  totalSize: z.number().int().nonnegative(),
  done: z.boolean(),
  nextRecordsUrl: z.string().optional(),
  records: z.array(SObject),
});

/**
 * Salesforce REST (docs/systems.md, Salesforce REST, The API): upsert by external ID, create, get, SOQL queries paged by
 * `nextRecordsUrl`. Authenticates with the client-credentials grant and repeats a call once with a new
 * session when the old one is refused.
 */
export class SalesforceClient {
  readonly apiVersion: string;
  readonly #http: HttpClient;
  readonly #sessions: TokenCache<SalesforceSession>;

  constructor(options: SalesforceClientOptions) {
    this.apiVersion = options.apiVersion ?? '61.0';
    // The token grant is not an API call (no API limit applies to it), and it runs inside an API call's
    // limiter slot (auth headers are fetched per attempt): limiting it too could deadlock at the cap.
    const { limiter: _apiOnly, ...loginTransport } = options.http ?? {};
    const login = new HttpClient({ ...loginTransport, system: 'salesforce', responseCheck: checkOAuthResponse, errorMessage: salesforceErrorMessage });
    const sessions = createSessionCache(options, login);
    this.#sessions = sessions;
    const bearer = (s: SalesforceSession) => `Bearer ${s.accessToken}`;
    this.#http = new HttpClient({
      ...options.http,
      system: 'salesforce',
      baseUrl: async () => `${(await sessions.get()).instanceUrl}/services/data/v${this.apiVersion}`,
      auth: {
        headers: async () => ({ Authorization: bearer(await sessions.get()) }),
        onUnauthorized: async ({ sentHeaders }) => {
          // Only the session this call used is dropped: a parallel call may already have replaced it.
          const current = sessions.peek();
          if (current && sentHeaders.Authorization === bearer(current)) sessions.invalidate(current);
          return true;
        },
      },
      responseCheck: checkSalesforceResponse,
      errorMessage: salesforceErrorMessage,
    });
  }

  /**
   * Creates or updates the record whose external ID field has this value: the idempotent way to sync
   * (D1). 300 (several records match) is a ValidationError.
   */
  async upsert(object: string, externalIdField: string, value: string, fields: SObjectFields, options: CallOptions = {}): Promise<{ id: string; created: boolean }> {
    // The external ID travels in the URL; Salesforce refuses it in the body as well.
    const { [externalIdField]: _inUrl, ...body } = fields;
    const path = externalIdPath(object, externalIdField, value);
    const res = await this.#http.request({ method: 'PATCH', path, body, idempotent: true, expect: UpsertResult.optional(), ...options });
    if (res.body) return { id: res.body.id, created: res.body.created };
    // Before API v46 an update answered 204 without a body: read the id back.
    const existing = await this.#http.request({ method: 'GET', path, query: { fields: 'Id' }, expect: z.object({ Id: z.string() }).loose(), ...options });
    return { id: existing.body.Id, created: false };
  }

  /** Creates a record. Not idempotent: a retry after a lost answer could create a second one. */
  async create(object: string, fields: SObjectFields, options: CallOptions = {}): Promise<{ id: string }> {
    const res = await this.#http.request({ method: 'POST', path: `sobjects/${apiName(object)}`, body: fields, expect: CreateResult, ...options });
    return { id: res.body.id };
  }

  /**
   * Updates up to 200 records by Id in one call (sObject Collections, `PATCH /composite/sobjects`, allOrNone
   * false): a result per record, in order; a record Salesforce refuses (deleted, a validation rule) is a
   * result with its errors, not a thrown error. The same values twice land the same way: idempotent.
   */
  async updateRecords(object: string, records: ReadonlyArray<{ Id: string } & SObjectFields>, options: CallOptions = {}): Promise<CollectionResult[]> {
    if (records.length > COLLECTION_LIMIT) throw new RangeError(`salesforce: a collection call takes at most ${COLLECTION_LIMIT} records, got ${records.length}`);
    if (records.length === 0) return [];
    const res = await this.#http.request({
      method: 'PATCH',
      path: 'composite/sobjects',
      body: { allOrNone: false, records: records.map((r) => ({ attributes: { type: apiName(object) }, ...r })) },
      idempotent: true,
      expect: z.array(CollectionResultShape),
      ...options,
    });
    return res.body;
  }

  /** Reads a record by its Salesforce ID, all fields or the ones named. */
  async get(object: string, id: string, fields?: readonly string[], options: CallOptions = {}): Promise<SObjectFields> {
    const res = await this.#http.request({
      method: 'GET',
      path: `sobjects/${apiName(object)}/${encodeURIComponent(id)}`,
      query: { fields: fields && fields.length > 0 ? fields.map(apiName) : undefined },
      expect: SObject,
      ...options,
    });
    return res.body;
  }

  /**
   * Reads the record whose external ID field has this value, all fields or the ones named. No record is a
   * NotFoundError; several (300) a ValidationError.
   */
  async getByExternalId(object: string, externalIdField: string, value: string, fields?: readonly string[], options: CallOptions = {}): Promise<SObjectFields> {
    const res = await this.#http.request({
      method: 'GET',
      path: externalIdPath(object, externalIdField, value),
      query: { fields: fields && fields.length > 0 ? fields.map(apiName) : undefined },
      expect: SObject,
      ...options,
    });
    return res.body;
  }

  /**
   * One page of a SOQL query: the first page of `soql`, or the page at `nextRecordsUrl` from an earlier
   * answer (a path from the instance's root). For a caller that keeps its place between calls (a poll
   * saving each page before it asks for the next).
   */
  async queryPage(from: { soql: string } | { nextRecordsUrl: string }, options: CallOptions = {}): Promise<{ records: SObjectFields[]; nextRecordsUrl: string | null }> {
    const request =
      'soql' in from ? { path: 'query', query: { q: from.soql } } : { path: new URL(from.nextRecordsUrl, (await this.#sessions.get()).instanceUrl).toString() };
    const res = await this.#http.request({ method: 'GET', ...request, expect: QueryPage, ...options });
    return { records: res.body.records, nextRecordsUrl: res.body.done ? null : (res.body.nextRecordsUrl ?? null) };
  }

  /** The Id of the user this client's session runs as (from the token answer), or null when it did not say. */
  async sessionUserId(): Promise<string | null> {
    return (await this.#sessions.get()).userId;
  }

  /** The records a SOQL query selects, fetched a page (up to 2,000) at a time as the caller iterates. */
  query(soql: string, options: CallOptions = {}): AsyncGenerator<SObjectFields, void, undefined> {
    const page = async (request: Pick<HttpRequest, 'path' | 'query'>) => {
      const res = await this.#http.request({ method: 'GET', ...request, expect: QueryPage, ...options });
      return { items: res.body.records, next: res.body.done ? null : (res.body.nextRecordsUrl ?? null) };
    };
    return pagesByNextUrl(
      () => page({ path: 'query', query: { q: soql } }),
      // nextRecordsUrl is a path from the instance's root (/services/data/v61.0/query/01g...-2000).
      async (nextUrl) => page({ path: new URL(nextUrl, (await this.#sessions.get()).instanceUrl).toString() }),
    );
  }
}

/** An object or field API name goes into the path: refuse anything else rather than build a strange URL. */
function apiName(name: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) throw new RangeError(`not a Salesforce API name: ${name}`);
  return name;
}

/** The REST path of the record whose external ID field has this value (upsert and read by external ID). */
function externalIdPath(object: string, externalIdField: string, value: string): string {
  return `sobjects/${apiName(object)}/${apiName(externalIdField)}/${encodeURIComponent(value)}`;
}
