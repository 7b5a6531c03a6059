import { DEFAULT_LEAD_READ_FIELDS, type MarketoLeadField } from '../../connectors/marketo/marketo-lead-fields.ts';
import { MARKETO_LIMITS } from '../../connectors/marketo/marketo-limits.ts';
import { decodeToken, encodeToken, marketoError, marketoOk } from './marketo-responses.ts';
import type { MarketoState, MockLead } from './marketo-state.ts';

type Reason = { code: string; message: string };

/** `POST /v1/leads.json`: createOrUpdate, createOnly or updateOnly, matched on `lookupField`, a result per record. */
export function upsertLeads(state: MarketoState, body: unknown): Response {
  const b = (body ?? {}) as { action?: unknown; lookupField?: unknown; input?: unknown };
  const action = b.action ?? 'createOrUpdate';
  if (action !== 'createOrUpdate' && action !== 'createOnly' && action !== 'updateOnly') return marketoError('1003', `Invalid action '${String(action)}'`);
  if (!Array.isArray(b.input)) return marketoError('1003', "Field 'input' is required and must be an array");
  if (b.input.length > MARKETO_LIMITS.batchSize) return marketoError('1003', `Batch size of ${b.input.length} exceeds the limit of ${MARKETO_LIMITS.batchSize}`);
  const lookup = state.fieldName(typeof b.lookupField === 'string' ? b.lookupField : 'email');
  if (!lookup) return marketoError('1006', `Lookup field '${String(b.lookupField)}' not found`);
  // An unknown field anywhere refuses the whole call, as Marketo does.
  for (const record of b.input as Array<Record<string, unknown>>) {
    for (const key of Object.keys(record ?? {})) if (!state.fieldName(key)) return marketoError('1006', `Field '${key}' not found`);
  }
  const result = (b.input as Array<Record<string, unknown>>).map((raw) => {
    const { fields, problem } = normalize(state, raw ?? {});
    if (problem) return skipped(problem);
    const value = fields[lookup];
    if (value === undefined || value === null || value === '') return skipped({ code: '1003', message: `Value for lookup field '${lookup}' not specified` });
    const matches = lookup === 'id' ? [state.lead(Number(value))].filter((l): l is MockLead => l !== undefined) : state.findLeads(lookup, value);
    if (matches.length > 1) return skipped({ code: '1007', message: 'Multiple lead match lookup criteria' });
    const existing = matches[0];
    if (existing) {
      if (action === 'createOnly') return skipped({ code: '1005', message: 'Lead already exists' });
      const { id: _id, ...set } = fields;
      state.updateLead(existing.id, set);
      return { id: existing.id, status: 'updated' };
    }
    if (action === 'updateOnly') return skipped({ code: '1004', message: 'Lead not found' });
    if (lookup === 'id') return skipped({ code: '1003', message: "A lead cannot be created with field 'id'" });
    return { id: state.createLead(fields).id, status: 'created' };
  });
  return marketoOk(result);
}

function skipped(reason: Reason) {
  return { status: 'skipped', reasons: [reason] };
}

/** The record with field names as described, values checked against their types. */
function normalize(state: MarketoState, raw: Record<string, unknown>): { fields: Record<string, unknown>; problem?: Reason } {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const field = state.fields.get(key.toLowerCase())!;
    if (field.readOnly && field.name !== 'id') return { fields, problem: { code: '1003', message: `Field '${field.name}' is read only` } };
    const problem = badValue(field, value);
    if (problem) return { fields, problem: { code: '1003', message: problem } };
    fields[field.name] = value;
  }
  return { fields };
}

function badValue(field: MarketoLeadField, value: unknown): string | undefined {
  if (value === null) return undefined;
  const bad = `Invalid value '${String(value)}' for field '${field.name}' (${field.type})`;
  switch (field.type) {
    case 'boolean':
      return typeof value === 'boolean' ? undefined : bad;
    case 'integer':
      return Number.isInteger(value) ? undefined : bad;
    case 'email':
      return typeof value === 'string' && /^[^@\s]+@[^@\s]+$/.test(value) ? undefined : bad;
    case 'date':
    case 'datetime':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? undefined : bad;
    default:
      return typeof value === 'string' || typeof value === 'number' ? undefined : bad;
  }
}

/** `GET /v1/leads.json?filterType&filterValues&fields&batchSize&nextPageToken`: the matching leads, a page at a time, by id. */
export function getLeads(state: MarketoState, url: URL): Response {
  const q = url.searchParams;
  const filterType = q.get('filterType');
  if (!filterType) return marketoError('1003', "Field 'filterType' is required");
  const field = state.fieldName(filterType);
  if (!field) return marketoError('1006', `Field '${filterType}' not found`);
  const values = (q.get('filterValues') ?? '').split(',').filter((v) => v !== '');
  if (values.length === 0) return marketoError('1003', "Field 'filterValues' is required");
  if (values.length > MARKETO_LIMITS.batchSize) return marketoError('1003', `Too many filter values: ${values.length} (at most ${MARKETO_LIMITS.batchSize})`);
  const asked = (q.get('fields') ?? '').split(',').filter((f) => f !== '');
  const fields: string[] = [];
  for (const name of asked.length > 0 ? asked : DEFAULT_LEAD_READ_FIELDS) {
    const known = state.fieldName(name);
    if (!known) return marketoError('1006', `Field '${name}' not found`);
    fields.push(known);
  }
  if (!fields.includes('id')) fields.unshift('id');
  const batchSize = Number(q.get('batchSize') ?? MARKETO_LIMITS.batchSize);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MARKETO_LIMITS.batchSize) return marketoError('1003', `Invalid batchSize '${q.get('batchSize')}' (1 to 300)`);
  const position = decodeToken<{ offset: number }>(q.get('nextPageToken'));
  if (q.get('nextPageToken') && position === undefined) return marketoError('1003', 'Invalid nextPageToken');
  const offset = position?.offset ?? 0;
  const matching = new Map<number, MockLead>();
  for (const value of values) for (const lead of field === 'id' ? [state.lead(Number(value))].filter((l): l is MockLead => !!l) : state.findLeads(field, value)) matching.set(lead.id, lead);
  const all = [...matching.values()].sort((a, b) => a.id - b.id);
  const page = all.slice(offset, offset + batchSize).map((lead) => Object.fromEntries(fields.map((f) => [f, lead[f] ?? null])));
  const more = offset + batchSize < all.length;
  return marketoOk(page, more ? { nextPageToken: encodeToken({ offset: offset + batchSize }) } : {});
}

/**
 * `POST /v1/leads/<id>/merge.json?leadId=<id>` or `?leadIds=<id>,<id>` (`mergeInCRM` accepted, no CRM
 * here): merges the losing leads into the lead of the path (`MarketoState.mergeLeads`). Answers
 * `success` with no result; an unknown winner or loser is 1004 and nothing is merged; no loser or a loser
 * that is the winner is 1003.
 */
export function mergeLeads(state: MarketoState, winnerId: number, url: URL): Response {
  const q = url.searchParams;
  const given = q.get('leadIds') ?? q.get('leadId') ?? '';
  const values = given.split(',').map((v) => v.trim()).filter((v) => v !== '');
  if (values.length === 0) return marketoError('1003', "Field 'leadId' or 'leadIds' is required");
  const ids = values.map(Number);
  if (ids.some((id) => !Number.isInteger(id) || id < 1)) return marketoError('1003', `Invalid lead id in '${given}'`);
  if (ids.includes(winnerId)) return marketoError('1003', `Lead ${winnerId} cannot be merged into itself`);
  const missing = [winnerId, ...ids].find((id) => !state.lead(id));
  if (missing !== undefined) return marketoError('1004', `Lead '${missing}' not found`);
  state.mergeLeads(winnerId, ids);
  return marketoOk(undefined);
}

/** `GET /v1/leads/describe.json`: every lead field with its label, type and REST name. */
export function describeLeads(state: MarketoState): Response {
  const result = [...state.fields.values()].map((f, i) => ({
    id: i + 1,
    displayName: f.label,
    dataType: f.type,
    ...(f.type === 'string' ? { length: 255 } : {}),
    rest: { name: f.name, readOnly: f.readOnly ?? false },
    soap: { name: f.name.charAt(0).toUpperCase() + f.name.slice(1), readOnly: f.readOnly ?? false },
  }));
  return marketoOk(result);
}
