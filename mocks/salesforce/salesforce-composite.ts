import { HttpResponse } from 'msw';
import { readJsonObject, sfErrorResponse } from './salesforce-responses.ts';
import type { SalesforceState, SfOutcome } from './salesforce-state.ts';

/** Most records one sObject Collections call takes. */
export const COLLECTION_LIMIT = 200;

/** One record's result in a collection answer: note `statusCode` where single-record errors say `errorCode`. */
type CollectionResult =
  | { id: string; success: true; errors: []; created?: boolean }
  | { id?: string; success: false; errors: Array<{ statusCode: string; message: string; fields: string[] }> };

/** What a collection does to one record. */
export type Operation = (record: Record<string, unknown>) => SfOutcome<{ id: string; created?: boolean }>;

/**
 * sObject Collections (docs/systems.md, Salesforce REST, The API: Collections): up to 200 records a call, 200 OK with a result per record.
 * Partial failure is normal; with `allOrNone: true` one failure rolls every record back.
 */
export async function runCollection(state: SalesforceState, request: Request, operation: Operation): Promise<Response> {
  const read = await readJsonObject(request);
  if (!read.ok) return read.response;
  const body = read.value;
  if (!Array.isArray(body.records) || body.records.some((r) => !r || typeof r !== 'object' || Array.isArray(r))) {
    return sfErrorResponse(400, [{ errorCode: 'JSON_PARSER_ERROR', message: 'The request body needs "records", an array of sObjects' }]);
  }
  const records = body.records as Array<Record<string, unknown>>;
  if (records.length > COLLECTION_LIMIT) return tooManyRecords();
  return HttpResponse.json(applyAll(state, records, body.allOrNone === true, operation));
}

/** `DELETE /composite/sobjects?ids=...&allOrNone=`: deletes by Id, a result per Id. */
export function deleteCollection(state: SalesforceState, params: URLSearchParams): Response {
  const ids = (params.get('ids') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (ids.length > COLLECTION_LIMIT) return tooManyRecords();
  const operation: Operation = (record) => {
    const id = String(record.Id);
    const object = state.objects().find((o) => state.exists(o.name, id));
    return object && state.delete(object.name, id)
      ? { ok: true, value: { id } }
      : { ok: false, status: 404, errors: [{ errorCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] }] };
  };
  return HttpResponse.json(applyAll(state, ids.map((Id) => ({ Id })), params.get('allOrNone') === 'true', operation));
}

function tooManyRecords(): Response {
  return sfErrorResponse(400, [{ errorCode: 'EXCEEDED_ID_LIMIT', message: `record limit reached. cannot submit more than ${COLLECTION_LIMIT} records into this call` }]);
}

function applyAll(state: SalesforceState, records: Array<Record<string, unknown>>, allOrNone: boolean, operation: Operation): CollectionResult[] {
  // The checkpoint copies the whole org: only a call that may have to roll back pays for it.
  const restore = allOrNone ? state.checkpoint() : undefined;
  const results = records.map((record): CollectionResult => {
    const outcome = operation(record);
    if (outcome.ok) return { id: outcome.value.id, success: true, errors: [], ...(outcome.value.created === undefined ? {} : { created: outcome.value.created }) };
    return { success: false, errors: outcome.errors.map((e) => ({ statusCode: e.errorCode, message: e.message, fields: e.fields })) };
  });
  if (!restore || results.every((r) => r.success)) return results;
  restore();
  return results.map((r) =>
    r.success
      ? {
          success: false,
          errors: [{ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK', message: 'Record rolled back because not all records were valid and the request was using AllOrNone header', fields: [] }],
        }
      : r,
  );
}

/** The record's type from its `attributes`, as collection bodies carry it. */
export function typeOf(record: Record<string, unknown>): string | undefined {
  const attributes = record.attributes as { type?: unknown } | undefined;
  return typeof attributes?.type === 'string' ? attributes.type : undefined;
}

/** A collection record whose type is missing answers this, per record. */
export const MISSING_TYPE: SfOutcome<never> = {
  ok: false,
  status: 400,
  errors: [{ errorCode: 'INVALID_TYPE', message: 'Must send a concrete entity type.', fields: [] }],
};
