import { http, HttpResponse, type RequestHandler } from 'msw';
import { faultResponse, type FaultInjector } from '../faults.ts';
import { SIMULATED_CREDENTIALS, SIMULATED_URLS } from '../simulated-urls.ts';
import { matchesPrmFilter, parsePrmFilter, PrmFilterError } from './prm-filter.ts';
import { MDF_CLAIM_OBJECT, PARTNER_LEAD_OBJECT, PARTNER_OBJECT, PRM_OBJECTS, resolveReadField, type PrmField, type PrmObject } from './prm-objects.ts';
import type { PrmRecord, PrmState } from './prm-state.ts';
import { checkWrite, type PrmErrorItem } from './prm-writes.ts';

/** Records a listing returns when `take` is absent. [guess] */
const PRM_DEFAULT_TAKE = 100;
/** The most a listing returns, whatever `take` asks for: a client must page by `count`, not by a short page. [guess] */
const PRM_MAX_TAKE = 500;

const BASE = new URL(SIMULATED_URLS.prm);

/**
 * The simulated PRM's objects API (docs/systems.md, PRM (Impartner), What the simulated PRM does): `GET|PUT|POST /<Object>`, `GET|PATCH|DELETE /<Object>/<id>`,
 * `GET /_describe`, `GET /<Object>/_describe`, with the PRM's auth headers and error envelope.
 */
export function prmHandlers(deps: { state: PrmState; faults: FaultInjector }): RequestHandler[] {
  return [http.all(`${BASE.origin}/*`, ({ request }) => handle(request, deps))];
}

async function handle(request: Request, { state, faults }: { state: PrmState; faults: FaultInjector }): Promise<Response> {
  const fault = faults.take('prm', request);
  if (fault) {
    return faultResponse(fault, {
      rateLimit: (s) => envelope([{ code: 'TooManyRequests', message: `Too many requests; retry after ${s} s` }]),
      serverError: () => envelope([{ code: 'ServerError', message: 'An unexpected error occurred' }]),
      expiredToken: () => envelope([{ code: 'Unauthorized', message: 'The API key has expired or was revoked' }]),
    });
  }
  const url = new URL(request.url);
  if (!url.pathname.startsWith(`${BASE.pathname}/`) && url.pathname !== BASE.pathname) return fail(404, 'NotFound', `No API at ${url.pathname}`);
  if (!authorized(request)) return fail(401, 'Unauthorized', 'Missing or invalid API key or tenant id');

  const segments = url.pathname.slice(BASE.pathname.length).split('/').filter(Boolean).map(decodeURIComponent);
  const method = request.method.toUpperCase();
  if (segments.length === 1 && segments[0] === '_describe') {
    return method === 'GET' ? ok({ objects: Object.values(PRM_OBJECTS).map(describeObject) }) : notAllowed(method);
  }
  // Own keys only: `/constructor` must be an unknown object, not Object.prototype's.
  const object = segments[0] !== undefined && Object.hasOwn(PRM_OBJECTS, segments[0]) ? PRM_OBJECTS[segments[0]] : undefined;
  if (!object) return fail(404, 'NotFound', `Unknown object '${segments[0] ?? ''}'`);

  if (segments.length === 1) {
    if (method === 'GET') return list(state, object, url.searchParams);
    if (method === 'PUT' || method === 'POST') return create(state, object, request);
    return notAllowed(method);
  }
  if (segments.length === 2 && segments[1] === '_describe') return method === 'GET' ? ok(describeObject(object)) : notAllowed(method);
  if (segments.length !== 2) return fail(404, 'NotFound', `No API at ${url.pathname}`);

  const id = /^\d+$/.test(segments[1]!) ? Number(segments[1]) : Number.NaN;
  const existing = Number.isSafeInteger(id) ? state.get(object.name, id) : undefined;
  if (!existing) return fail(404, 'NotFound', `No ${object.name} record with Id ${segments[1]}`);
  if (method === 'GET') {
    const fields = resolveFields(url.searchParams.get('fields'), object);
    return typeof fields === 'string' ? fail(400, 'InvalidField', fields, ['fields']) : ok(select(existing, fields));
  }
  if (method === 'PATCH') {
    const body = await readBody(request);
    if (!body.ok) return body.response;
    const checked = checkWrite(object, body.value, 'update');
    if (!checked.ok) return HttpResponse.json(envelope(checked.errors), { status: 400 });
    return ok(state.update(object.name, id, checked.set));
  }
  if (method === 'DELETE') {
    state.delete(object.name, id);
    return ok({ id });
  }
  return notAllowed(method);
}

function authorized(request: Request): boolean {
  const { apiKey, tenantId } = SIMULATED_CREDENTIALS.prm;
  return request.headers.get('authorization') === `prm-key ${apiKey}` && request.headers.get('x-prm-tenantid') === tenantId;
}

function list(state: PrmState, object: PrmObject, params: URLSearchParams): Response {
  const skip = wholeNumber(params.get('skip'), 0);
  const take = wholeNumber(params.get('take'), PRM_DEFAULT_TAKE);
  if (skip === undefined) return fail(400, 'InvalidValue', `skip must be a whole number, got '${params.get('skip')}'`, ['skip']);
  if (take === undefined) return fail(400, 'InvalidValue', `take must be a whole number, got '${params.get('take')}'`, ['take']);

  const filter = params.get('filter');
  const orderby = params.get('orderby');
  const query = `${object.name}\n${filter ?? ''}\n${orderby ?? ''}`;
  let records: readonly PrmRecord[];
  const cached = lastListing.get(state);
  if (cached && cached.query === query && cached.version === state.version) {
    records = cached.records;
  } else {
    let matching = state.stored(object.name).slice();
    if (filter && filter.trim() !== '') {
      try {
        const condition = parsePrmFilter(filter, object);
        matching = matching.filter((r) => matchesPrmFilter(r, condition));
      } catch (error) {
        if (error instanceof PrmFilterError) return fail(400, 'InvalidFilter', error.message, ['filter']);
        throw error;
      }
    }
    if (orderby && orderby.trim() !== '') {
      const sorted = sortRecords(matching, orderby, object);
      if (typeof sorted === 'string') return fail(400, 'InvalidOrderBy', sorted, ['orderby']);
      matching = sorted;
    }
    records = matching;
    lastListing.set(state, { query, version: state.version, records });
  }
  // Checked before paging: an unknown field is refused also when the page is empty.
  const fields = resolveFields(params.get('fields'), object);
  if (typeof fields === 'string') return fail(400, 'InvalidField', fields, ['fields']);
  const page = records.slice(skip, skip + Math.min(take, PRM_MAX_TAKE));
  // Copies: the listing holds the stored records, and the response is built after this returns.
  return ok({ count: records.length, entity: object.name, results: page.map((record) => ({ ...select(record, fields) })) });
}

/**
 * The last listing's matching records, per PRM, while no write changed any record: the next page of
 * the same query (same filter and order) is a slice of it, as a real PRM pages through a query's
 * result, instead of filtering and sorting 100,000 leads again for each page of 500.
 */
const lastListing = new WeakMap<PrmState, { query: string; version: number; records: readonly PrmRecord[] }>();

async function create(state: PrmState, object: PrmObject, request: Request): Promise<Response> {
  const body = await readBody(request);
  if (!body.ok) return body.response;
  const checked = checkWrite(object, body.value, 'create');
  if (!checked.ok) return HttpResponse.json(envelope(checked.errors), { status: 400 });
  if (object.name === PARTNER_OBJECT) return ok(state.addPartner(checked.set));
  if (object.name === MDF_CLAIM_OBJECT) return ok(state.addMdfClaim(checked.set as { mdfNumber: string }));
  if (object.name === PARTNER_LEAD_OBJECT) return ok(state.insert(object.name, checked.set));
  const mdfNumber = checked.set.mdfNumber;
  if (typeof mdfNumber === 'string' && state.findMdfRequest(mdfNumber)) {
    return fail(400, 'DuplicateValue', `An MDF request numbered ${mdfNumber} already exists`, ['MdfNumber']);
  }
  return ok(state.addMdfRequest(checked.set));
}

/**
 * `Updated desc, Id asc`; returns the problem as a string when a field or direction is unknown. Sorts
 * in place: the array is the listing's own (its records are the stored ones, in id order).
 */
function sortRecords(records: PrmRecord[], orderby: string, object: PrmObject): PrmRecord[] | string {
  const keys: Array<{ field: PrmField; desc: boolean }> = [];
  for (const part of orderby.split(',')) {
    const [name, direction = 'asc', ...rest] = part.trim().split(/\s+/);
    const field = name ? resolveReadField(object, name) : undefined;
    if (!field) return `${object.name} has no field '${name ?? ''}' to order by`;
    if (rest.length > 0 || !/^(asc|desc)$/i.test(direction)) return `orderby takes '<Field> asc' or '<Field> desc', got '${part.trim()}'`;
    keys.push({ field, desc: direction.toLowerCase() === 'desc' });
  }
  return records.sort((a, b) => {
    for (const { field, desc } of keys) {
      const order = compareValues(a[field.key], b[field.key]);
      if (order !== 0) return desc ? -order : order;
    }
    return 0;
  });
}

/** Nulls first, then numbers, booleans and strings in their natural order. */
function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

/** The fields a `fields=` list names; null without a list; a string naming an unknown field. */
function resolveFields(list: string | null, object: PrmObject): PrmField[] | null | string {
  if (!list || list.trim() === '') return null;
  const fields: PrmField[] = [];
  for (const name of list.split(',').map((f) => f.trim()).filter(Boolean)) {
    const field = resolveReadField(object, name);
    if (!field) return `${object.name} has no field '${name}'`;
    fields.push(field);
  }
  return fields;
}

/** The record with only the given fields (and its id); the whole record without a list. */
function select(record: PrmRecord, fields: PrmField[] | null): PrmRecord | Record<string, unknown> {
  if (!fields) return record;
  const picked: Record<string, unknown> = { id: record.id };
  for (const field of fields) picked[field.key] = record[field.key] ?? null;
  return picked;
}

function describeObject(object: PrmObject) {
  return {
    name: object.name,
    label: object.label,
    fields: object.fields.map((f) => ({
      name: f.name,
      label: f.label,
      type: f.type,
      required: f.required ?? false,
      readOnly: f.readOnly ?? false,
      ...(f.values ? { picklistValues: f.values.map((value) => ({ value, label: value })) } : {}),
    })),
  };
}

async function readBody(request: Request): Promise<{ ok: true; value: Record<string, unknown> } | { ok: false; response: Response }> {
  const text = await request.text();
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return { ok: true, value: value as Record<string, unknown> };
  } catch {
    // Answered below, like a body of the wrong shape.
  }
  return { ok: false, response: fail(400, 'InvalidRequest', 'The request body must be a JSON object of fields') };
}

function wholeNumber(text: string | null, fallback: number): number | undefined {
  if (text === null || text === '') return fallback;
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

function envelope(errors: PrmErrorItem[]) {
  return { success: false, errors };
}

function ok(data: unknown): Response {
  return HttpResponse.json({ success: true, data });
}

function fail(status: number, code: string, message: string, fields?: string[]): Response {
  return HttpResponse.json(envelope([{ code, message, ...(fields ? { fields } : {}) }]), { status });
}

function notAllowed(method: string): Response {
  return fail(405, 'MethodNotAllowed', `${method} is not supported here`);
}
