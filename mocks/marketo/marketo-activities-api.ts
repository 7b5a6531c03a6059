import { MARKETO_ACTIVITY_TYPES, type MarketoLeadField } from '../../connectors/marketo/marketo-lead-fields.ts';
import { MARKETO_LIMITS } from '../../connectors/marketo/marketo-limits.ts';
import { decodeToken, encodeToken, marketoError, marketoOk } from './marketo-responses.ts';
import type { MarketoState, MockActivity } from './marketo-state.ts';

/** Where a paging token points: after the activity at `t` (epoch ms) with id `id` (0: at `t` itself). */
interface ActivityPosition {
  t: number;
  id: number;
}

const after = (a: MockActivity, p: ActivityPosition) => {
  const t = Date.parse(a.activityDate);
  return t > p.t || (t === p.t && a.id > p.id);
};

/** `GET /v1/activities/pagingtoken.json?sinceDatetime=`: a token for the activities at or after that time. */
export function pagingToken(url: URL): Response {
  const since = url.searchParams.get('sinceDatetime');
  const t = since ? Date.parse(since) : Number.NaN;
  if (Number.isNaN(t)) return marketoError('1003', `Invalid sinceDatetime '${since ?? ''}'`);
  return marketoOk(undefined, { nextPageToken: encodeToken({ t, id: 0 }) });
}

/**
 * `GET /v1/activities.json?nextPageToken&activityTypeIds[&leadIds][&batchSize]`: up to 300 activities
 * of those types after the token's position, oldest first; `moreResult` says whether more follow,
 * and `nextPageToken` where to read on (also when none follow: the place new activities will appear).
 */
export function listActivities(state: MarketoState, url: URL): Response {
  const q = url.searchParams;
  const position = decodeToken<ActivityPosition>(q.get('nextPageToken'));
  if (!position || typeof position.t !== 'number') return marketoError('1003', 'Invalid nextPageToken');
  const types = (q.get('activityTypeIds') ?? '').split(',').filter((v) => v !== '').map(Number);
  if (types.length === 0 || types.length > MARKETO_LIMITS.activityTypesPerCall || types.some((t) => !Number.isInteger(t))) {
    return marketoError('1003', `activityTypeIds must name 1 to ${MARKETO_LIMITS.activityTypesPerCall} activity types`);
  }
  const leadIds = new Set((q.get('leadIds') ?? '').split(',').filter((v) => v !== '').map(Number));
  const batchSize = Number(q.get('batchSize') ?? MARKETO_LIMITS.batchSize);
  const matching = state
    .activities()
    .filter((a) => after(a, position) && types.includes(a.activityTypeId) && (leadIds.size === 0 || leadIds.has(a.leadId)));
  const page = matching.slice(0, batchSize);
  const last = page[page.length - 1];
  const next = last ? { t: Date.parse(last.activityDate), id: last.id } : position;
  return marketoOk(page, { nextPageToken: encodeToken(next), moreResult: matching.length > page.length });
}

/**
 * `GET /v1/activities/leadchanges.json?nextPageToken&fields[&leadIds][&batchSize]`: the Change Data Value
 * activities (13) of the named lead fields (API names, at least one)
 * after the token's position, oldest first, each with `fields: [{ id, name, newValue, oldValue }]`.
 * Marketo filters them itself: a poll over a busy instance reads only the changes it asked for.
 */
export function listLeadChanges(state: MarketoState, url: URL): Response {
  const q = url.searchParams;
  const position = decodeToken<ActivityPosition>(q.get('nextPageToken'));
  if (!position || typeof position.t !== 'number') return marketoError('1003', 'Invalid nextPageToken');
  const names = (q.get('fields') ?? '').split(',').filter((v) => v !== '');
  if (names.length === 0) return marketoError('1003', "Field 'fields' is required");
  const fields: MarketoLeadField[] = [];
  for (const name of names) {
    const field = state.fields.get(name.toLowerCase());
    if (!field) return marketoError('1006', `Field '${name}' not found`);
    fields.push(field);
  }
  const labels = new Set(fields.map((f) => f.label));
  const leadIds = new Set((q.get('leadIds') ?? '').split(',').filter((v) => v !== '').map(Number));
  const batchSize = Number(q.get('batchSize') ?? MARKETO_LIMITS.batchSize);
  const matching = state
    .activities()
    .filter((a) => after(a, position) && a.activityTypeId === MARKETO_ACTIVITY_TYPES.changeDataValue.id && labels.has(String(a.primaryAttributeValue)) && (leadIds.size === 0 || leadIds.has(a.leadId)));
  const page = matching.slice(0, batchSize).map((a) => {
    const field = fields.find((f) => f.label === a.primaryAttributeValue)!;
    const value = (name: string) => a.attributes.find((x) => x.name === name)?.value ?? null;
    return { ...a, fields: [{ id: a.primaryAttributeValueId ?? 0, name: field.name, newValue: value('New Value'), oldValue: value('Old Value') }] };
  });
  const last = page[page.length - 1];
  const next = last ? { t: Date.parse(last.activityDate), id: last.id } : position;
  return marketoOk(page, { nextPageToken: encodeToken(next), moreResult: matching.length > page.length });
}
