import { HttpResponse } from 'msw';
import { describedField, isCustomField, SYSTEM_FIELDS, type SfObject } from './salesforce-objects.ts';
import type { SfRecord } from './salesforce-state.ts';
import type { SfErrorItem } from './salesforce-writes.ts';
import { keyOf } from './record-key.ts';

/** The org's daily API allowance, reported in every response's Sforce-Limit-Info header. */
export const API_DAILY_LIMIT = 15_000;

/** Salesforce's error answer: a JSON array of `{ message, errorCode, fields }`. */
export function sfErrorResponse(status: number, errors: Array<Partial<SfErrorItem> & { message: string; errorCode: string }>): Response {
  return HttpResponse.json(
    errors.map((e) => ({ message: e.message, errorCode: e.errorCode, ...(e.fields && e.fields.length > 0 ? { fields: e.fields } : {}) })),
    { status },
  );
}

/** Salesforce's error for an unknown object, record or path. */
export const NOT_FOUND: SfErrorItem = { errorCode: 'NOT_FOUND', message: 'The requested resource does not exist', fields: [] };

/** Salesforce's 404 for an unknown object, record or path. */
export const notFound = (): Response => sfErrorResponse(404, [NOT_FOUND]);

/** The 404 error for an upsert or lookup by a field that is not an external ID. */
export function externalIdFieldNotFound(name: string): SfErrorItem {
  return { errorCode: 'NOT_FOUND', message: `Provided external ID field does not exist or is not accessible: ${name}`, fields: [] };
}

/** A collection's per-record error when several records have the external ID value. */
export function duplicateExternalId(field: string, ids: readonly string[]): SfErrorItem {
  return { errorCode: 'DUPLICATE_EXTERNAL_ID', message: `More than 1 record found for external id field: [${ids.join(', ')}]`, fields: [field] };
}

/** A single-record call's answer when several records have the external ID value: 300 with their URLs. */
export function multipleChoices(objectName: string, ids: readonly string[], apiVersion: string): Response {
  return HttpResponse.json(ids.map((id) => recordUrl(objectName, id, apiVersion)), { status: 300 });
}

export function recordUrl(objectName: string, id: string, apiVersion: string): string {
  return `/services/data/v${apiVersion}/sobjects/${objectName}/${id}`;
}

/** Reads a JSON object body; a body that is not one answers 400 JSON_PARSER_ERROR as the org does. */
export async function readJsonObject(request: Request): Promise<{ ok: true; value: Record<string, unknown> } | { ok: false; response: Response }> {
  const text = await request.text();
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return { ok: true, value: value as Record<string, unknown> };
  } catch {
    // Answered below.
  }
  return { ok: false, response: sfErrorResponse(400, [{ errorCode: 'JSON_PARSER_ERROR', message: 'The request body is not a JSON object' }]) };
}

/**
 * A record as `GET /sobjects/<Obj>/<id>` returns it: `attributes`, then every field (a described
 * object's unset fields as null), or only the fields asked for. An unknown field name is the string
 * returned instead.
 */
export function presentRecord(object: SfObject, record: SfRecord, apiVersion: string, fields?: readonly string[]): Record<string, unknown> | string {
  const out: Record<string, unknown> = { attributes: { type: object.name, url: recordUrl(object.name, record.Id, apiVersion) } };
  if (fields && fields.length > 0) {
    for (const name of fields) {
      const described = describedField(object, name);
      if (!described && object.fields && !isCustomField(name)) return `No such column '${name}' on entity '${object.name}'`;
      const key = described?.name ?? keyOf(record, name) ?? name;
      out[key] = record[key] ?? null;
    }
    return out;
  }
  for (const field of [...SYSTEM_FIELDS.slice(0, 1), ...(object.fields ?? [])]) out[field.name] = null;
  return Object.assign(out, record);
}
