import { randomBytes } from 'node:crypto';
import { http, HttpResponse, type RequestHandler } from 'msw';
import type { MockClock } from '../clock.ts';
import { faultResponse, type FaultInjector } from '../faults.ts';
import { SIMULATED_CREDENTIALS, SIMULATED_URLS } from '../simulated-urls.ts';
import { QueryCursors } from './query-cursors.ts';
import { COLLECTION_LIMIT, MISSING_TYPE, deleteCollection, runCollection, typeOf } from './salesforce-composite.ts';
import { SYSTEM_FIELDS, type SfObject } from './salesforce-objects.ts';
import { API_DAILY_LIMIT, externalIdFieldNotFound, multipleChoices, notFound, presentRecord, readJsonObject, recordUrl, sfErrorResponse } from './salesforce-responses.ts';
import { INTEGRATION_USER_ID, ORG_ID, type SalesforceSessions } from './salesforce-sessions.ts';
import type { SalesforceState } from './salesforce-state.ts';
import { parseSoql, SoqlError } from './soql.ts';
import { runSoql } from './soql-run.ts';
import { keyOf } from './record-key.ts';

/** Everything the simulated org is made of. */
export interface SalesforceOrg {
  state: SalesforceState;
  sessions: SalesforceSessions;
  cursors: QueryCursors;
  /** API calls counted today, reported in Sforce-Limit-Info. */
  usage: { used: number };
  faults: FaultInjector;
  clock: MockClock;
}

const LOGIN = new URL(SIMULATED_URLS.salesforceLogin).origin;
const INSTANCE = new URL(SIMULATED_URLS.salesforceInstance).origin;
/** API versions the simulated org answers, as `NN.0`; others are 404 like a version the org does not have. */
const OLDEST_VERSION = 31;
const NEWEST_VERSION = 62;

/**
 * The simulated Salesforce org (docs/systems.md, Salesforce REST, What the simulated org does): the client-credentials token endpoint on the login host,
 * and the REST API on the instance host: sObject create, read, update, delete and upsert by external
 * ID, SOQL queries paged by `nextRecordsUrl`, sObject Collections, `limits`, describes.
 */
export function salesforceHandlers(org: SalesforceOrg): RequestHandler[] {
  return [
    http.all(`${LOGIN}/*`, ({ request }) => handleLogin(request, org)),
    http.all(`${INSTANCE}/*`, ({ request }) => handleApi(request, org)),
  ];
}

async function handleLogin(request: Request, org: SalesforceOrg): Promise<Response> {
  // Only a fault that names the token path lands here: a plain fault is meant for the API call.
  const fault = org.faults.take('salesforce', request, { pathRequired: true });
  if (fault?.kind === 'expired_token') org.sessions.revokeAll();
  else if (fault) {
    return faultResponse(fault, {
      rateLimit: (s) => ({ error: 'rate_limit_exceeded', error_description: `too many token requests; retry after ${s} s` }),
      serverError: () => ({ error: 'server_error', error_description: 'an unexpected error occurred' }),
      expiredToken: () => ({ error: 'invalid_grant', error_description: 'expired access/refresh token' }),
    });
  }
  const { pathname } = new URL(request.url);
  if (pathname !== '/services/oauth2/token') return new HttpResponse('Not Found', { status: 404, headers: { 'content-type': 'text/html' } });
  if (request.method.toUpperCase() !== 'POST') return HttpResponse.json({ error: 'invalid_request', error_description: 'must use HTTP POST' }, { status: 400 });

  const form = new URLSearchParams(await request.text());
  const oauthError = (error: string, description: string) => HttpResponse.json({ error, error_description: description }, { status: 400 });
  const { clientId, clientSecret } = SIMULATED_CREDENTIALS.salesforce;
  if (form.get('grant_type') !== 'client_credentials') return oauthError('unsupported_grant_type', 'grant type not supported');
  if (form.get('client_id') !== clientId) return oauthError('invalid_client_id', 'client identifier invalid');
  if (form.get('client_secret') !== clientSecret) return oauthError('invalid_client', 'invalid client credentials');

  return HttpResponse.json({
    access_token: org.sessions.issue(),
    signature: randomBytes(32).toString('base64'),
    scope: 'api',
    instance_url: INSTANCE,
    id: `${LOGIN}/id/${ORG_ID}/${INTEGRATION_USER_ID}`,
    token_type: 'Bearer',
    issued_at: String(org.clock.now()),
  });
}

async function handleApi(request: Request, org: SalesforceOrg): Promise<Response> {
  const fault = org.faults.take('salesforce', request);
  // An expired session is not an answer of its own: the sessions end, and the call below is refused.
  if (fault?.kind === 'expired_token') org.sessions.revokeAll();
  else if (fault) {
    return faultResponse(
      fault,
      {
        // Salesforce says 403 and no Retry-After: the concurrent-request limit clears in seconds, the daily one at the reset.
        rateLimit: () => [{ message: 'ConcurrentPerOrgLongTxn Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
        rateLimitAnswer: { status: 403, retryAfter: false },
        serverError: () => [{ errorCode: 'UNKNOWN_EXCEPTION', message: 'An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-1234567890)' }],
        expiredToken: () => [{ errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid' }],
      },
      limitHeader(org),
    );
  }

  const url = new URL(request.url);
  const match = /^\/services\/data\/v(\d+)\.0(?:\/(.*))?$/.exec(url.pathname);
  const major = match ? Number(match[1]) : 0;
  if (!match || major < OLDEST_VERSION || major > NEWEST_VERSION) return notFound();
  const apiVersion = `${major}.0`;

  const auth = request.headers.get('authorization') ?? '';
  const token = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(auth)?.[1];
  if (!token || !org.sessions.isValid(token)) {
    return HttpResponse.json([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }], { status: 401 });
  }

  org.usage.used += 1;
  const segments = (match[2] ?? '').split('/').filter(Boolean).map(decodeURIComponent);
  const response = await route(request, url, segments, apiVersion, org);
  response.headers.set('Sforce-Limit-Info', limitHeader(org)['Sforce-Limit-Info']);
  return response;
}

function limitHeader(org: SalesforceOrg): { 'Sforce-Limit-Info': string } {
  return { 'Sforce-Limit-Info': `api-usage=${org.usage.used}/${API_DAILY_LIMIT}` };
}

async function route(request: Request, url: URL, segments: string[], apiVersion: string, org: SalesforceOrg): Promise<Response> {
  const method = request.method.toUpperCase();
  const [resource, ...rest] = segments;
  if (resource === 'sobjects') return sobjects(request, url, rest, apiVersion, org);
  if ((resource === 'query' || resource === 'queryAll') && method === 'GET') return query(request, url, rest, apiVersion, org);
  if (resource === 'composite' && rest[0] === 'sobjects') return collections(request, url, rest.slice(1), apiVersion, org);
  if (resource === 'limits' && rest.length === 0 && method === 'GET') {
    return HttpResponse.json({ DailyApiRequests: { Max: API_DAILY_LIMIT, Remaining: Math.max(0, API_DAILY_LIMIT - org.usage.used) } });
  }
  return notFound();
}

async function sobjects(request: Request, url: URL, path: string[], apiVersion: string, org: SalesforceOrg): Promise<Response> {
  const method = request.method.toUpperCase();
  const { state } = org;
  if (path.length === 0) {
    return method === 'GET' ? HttpResponse.json({ encoding: 'UTF-8', maxBatchSize: COLLECTION_LIMIT, sobjects: state.objects().map((o) => summary(o, apiVersion)) }) : notFound();
  }
  const object = state.object(path[0]!);
  if (!object) return notFound();

  if (path.length === 1) {
    if (method === 'GET') return HttpResponse.json({ objectDescribe: summary(object, apiVersion), recentItems: [] });
    if (method !== 'POST') return methodNotAllowed(method);
    const body = await readJsonObject(request);
    if (!body.ok) return body.response;
    const created = state.create(object.name, body.value, INTEGRATION_USER_ID);
    if (!created.ok) return sfErrorResponse(created.status, created.errors);
    return HttpResponse.json({ id: created.value.id, success: true, errors: [] }, { status: 201 });
  }

  if (path.length === 2 && path[1] === 'describe' && method === 'GET') return HttpResponse.json(describe(object, apiVersion));

  if (path.length === 2) {
    const id = path[1]!;
    if (method === 'GET') {
      const record = state.get(object.name, id);
      if (!record) return notFound();
      return present(object, record, apiVersion, url);
    }
    if (method === 'PATCH') {
      const body = await readJsonObject(request);
      if (!body.ok) return body.response;
      const updated = state.update(object.name, id, body.value, INTEGRATION_USER_ID);
      return updated.ok ? new HttpResponse(null, { status: 204 }) : sfErrorResponse(updated.status, updated.errors);
    }
    if (method === 'DELETE') return state.delete(object.name, id) ? new HttpResponse(null, { status: 204 }) : notFound();
    return methodNotAllowed(method);
  }

  if (path.length === 3) {
    const [, fieldName, value] = path as [string, string, string];
    if (method === 'PATCH') {
      const body = await readJsonObject(request);
      if (!body.ok) return body.response;
      const result = state.upsert(object.name, fieldName, value, body.value, INTEGRATION_USER_ID);
      if (!result.ok) return result.ids ? multipleChoices(object.name, result.ids, apiVersion) : sfErrorResponse(result.status, result.errors);
      const answer = { id: result.value.id, success: true, errors: [], created: result.value.created };
      if (result.value.created) return HttpResponse.json(answer, { status: 201, headers: { Location: recordUrl(object.name, result.value.id, apiVersion) } });
      // Before API v46 an upsert that updated answered 204 without a body.
      return Number.parseFloat(apiVersion) < 46 ? new HttpResponse(null, { status: 204 }) : HttpResponse.json(answer, { status: 200 });
    }
    if (method !== 'GET' && method !== 'DELETE') return methodNotAllowed(method);
    const field = state.externalIdField(object, fieldName);
    if (!field) return sfErrorResponse(404, [externalIdFieldNotFound(fieldName)]);
    const matches = state.findByExternalId(object, field, value);
    if (matches.length > 1) return multipleChoices(object.name, matches.map((r) => r.Id), apiVersion);
    const [record] = matches;
    if (!record) return notFound();
    if (method === 'DELETE') {
      state.delete(object.name, record.Id);
      return new HttpResponse(null, { status: 204 });
    }
    return present(object, record, apiVersion, url);
  }
  return notFound();
}

function present(object: SfObject, record: Parameters<typeof presentRecord>[1], apiVersion: string, url: URL): Response {
  const fields = url.searchParams.get('fields')?.split(',').map((f) => f.trim()).filter(Boolean);
  const out = presentRecord(object, record, apiVersion, fields);
  return typeof out === 'string' ? sfErrorResponse(400, [{ errorCode: 'INVALID_FIELD', message: out }]) : HttpResponse.json(out);
}

function query(request: Request, url: URL, path: string[], apiVersion: string, org: SalesforceOrg): Response {
  if (path.length === 1) {
    const page = org.cursors.next(path[0]!);
    return page ? HttpResponse.json(page) : sfErrorResponse(400, [{ errorCode: 'INVALID_QUERY_LOCATOR', message: 'invalid query locator' }]);
  }
  if (path.length > 1) return notFound();
  const soql = url.searchParams.get('q');
  if (!soql || soql.trim() === '') return sfErrorResponse(400, [{ errorCode: 'MALFORMED_QUERY', message: 'A query string has to be specified' }]);
  try {
    const parsed = parseSoql(soql);
    const object = org.state.object(parsed.from);
    if (!object) {
      throw new SoqlError(
        'INVALID_TYPE',
        `sObject type '${parsed.from}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    }
    const { totalSize, rows } = runSoql(parsed, object, org.state.scan(object.name), apiVersion);
    return HttpResponse.json(org.cursors.open(rows, totalSize, apiVersion, request.headers.get('sforce-query-options')));
  } catch (error) {
    if (error instanceof SoqlError) return sfErrorResponse(400, [{ errorCode: error.errorCode, message: error.message }]);
    throw error;
  }
}

async function collections(request: Request, url: URL, path: string[], apiVersion: string, org: SalesforceOrg): Promise<Response> {
  const method = request.method.toUpperCase();
  const { state } = org;
  if (path.length === 0 && method === 'POST') {
    return runCollection(state, request, (record) => {
      const type = typeOf(record);
      return type ? state.create(type, record, INTEGRATION_USER_ID) : MISSING_TYPE;
    });
  }
  if (path.length === 0 && method === 'PATCH') {
    return runCollection(state, request, (record) => {
      const type = typeOf(record);
      if (!type) return MISSING_TYPE;
      const { Id: id, ...fields } = record;
      if (typeof id !== 'string') return { ok: false, status: 400, errors: [{ errorCode: 'MISSING_ARGUMENT', message: 'Id not specified in an update call', fields: [] }] };
      return state.update(type, id, fields, INTEGRATION_USER_ID);
    });
  }
  if (path.length === 0 && method === 'DELETE') return deleteCollection(state, url.searchParams);
  if (path.length === 2 && method === 'PATCH') {
    const object = state.object(path[0]!);
    if (!object) return notFound();
    const field = state.externalIdField(object, path[1]!);
    if (!field) return sfErrorResponse(404, [externalIdFieldNotFound(path[1]!)]);
    return runCollection(state, request, (record) => {
      const type = typeOf(record);
      if (type && type.toLowerCase() !== object.name.toLowerCase()) return MISSING_TYPE;
      const key = keyOf(record, field);
      const value = key === undefined ? undefined : record[key];
      if (value === undefined || value === null || value === '') {
        return { ok: false, status: 400, errors: [{ errorCode: 'MISSING_ARGUMENT', message: `${field} not specified`, fields: [] }] };
      }
      const { [key!]: _inBody, attributes: _type, ...fields } = record;
      return state.upsert(object.name, field, String(value), fields, INTEGRATION_USER_ID);
    });
  }
  return notFound();
}

function summary(object: SfObject, apiVersion: string) {
  return {
    name: object.name,
    label: object.label,
    keyPrefix: object.keyPrefix,
    custom: object.name.endsWith('__c'),
    createable: true,
    updateable: true,
    queryable: true,
    urls: { sobject: `/services/data/v${apiVersion}/sobjects/${object.name}`, describe: `/services/data/v${apiVersion}/sobjects/${object.name}/describe` },
  };
}

function describe(object: SfObject, apiVersion: string) {
  const fields = [...SYSTEM_FIELDS, ...(object.fields ?? [])].map((d) => ({
    name: d.name,
    label: d.label,
    type: d.type,
    nillable: !d.required && !d.readOnly,
    createable: !d.readOnly,
    updateable: !d.readOnly,
    externalId: d.externalId ?? false,
    restrictedPicklist: d.restrictedValues !== undefined,
    picklistValues: (d.restrictedValues ?? []).map((value) => ({ value, label: value, active: true, defaultValue: value === d.defaultValue })),
    referenceTo: d.referenceTo ? [d.referenceTo] : [],
    ...(d.length ? { length: d.length } : {}),
  }));
  return { ...summary(object, apiVersion), fields };
}

function methodNotAllowed(method: string): Response {
  return sfErrorResponse(405, [{ errorCode: 'METHOD_NOT_ALLOWED', message: `HTTP Method '${method}' not allowed. Allowed are GET,PATCH,DELETE,POST` }]);
}
