import { MARKETO_ACTIVITY_TYPES } from '../../connectors/marketo/marketo-lead-fields.ts';
import { MARKETO_LIMITS } from '../../connectors/marketo/marketo-limits.ts';
import { marketoError, marketoOk } from './marketo-responses.ts';
import type { MarketoState } from './marketo-state.ts';

/** The lead ids of an `{ input: [ { id } ] }` body, or a refusal. */
function inputIds(body: unknown, max: number): number[] | Response {
  const input = (body as { input?: unknown } | null)?.input;
  if (!Array.isArray(input) || input.length === 0) return marketoError('1003', "Field 'input' is required and must be a non-empty array");
  if (input.length > max) return marketoError('1003', `Batch size of ${input.length} exceeds the limit of ${max}`);
  const ids = input.map((r) => Number((r as { id?: unknown })?.id));
  if (ids.some((id) => !Number.isInteger(id) || id < 1)) return marketoError('1003', 'Every input record needs an integer id');
  return ids;
}

/** `POST` (add) or `DELETE` (remove) `/v1/lists/<id>/leads.json`: a result per lead, `added`/`removed` or `skipped`. */
export function changeListMembers(state: MarketoState, listId: number, method: 'POST' | 'DELETE', body: unknown): Response {
  const list = state.list(listId);
  if (!list) return marketoError('1013', `Static list '${listId}' not found`);
  const ids = inputIds(body, MARKETO_LIMITS.batchSize);
  if (ids instanceof Response) return ids;
  const result = ids.map((id) => {
    if (!state.lead(id)) return { id, status: 'skipped', reasons: [{ code: '1004', message: 'Lead not found' }] };
    if (method === 'POST') {
      if (!list.members.has(id)) {
        list.members.add(id);
        state.addActivity({ leadId: id, activityTypeId: MARKETO_ACTIVITY_TYPES.addToList.id, primaryAttributeValueId: list.id, primaryAttributeValue: list.name });
      }
      return { id, status: 'added' };
    }
    if (!list.members.has(id)) return { id, status: 'skipped', reasons: [{ code: '1015', message: 'Lead not in list' }] };
    list.members.delete(id);
    state.addActivity({ leadId: id, activityTypeId: MARKETO_ACTIVITY_TYPES.removeFromList.id, primaryAttributeValueId: list.id, primaryAttributeValue: list.name });
    return { id, status: 'removed' };
  });
  return marketoOk(result);
}

/**
 * `POST /v1/campaigns/<id>/trigger.json { input: { leads: [ { id } ], tokens: [ { name, value } ] } }`:
 * runs the campaign's flow for each lead. Its Interesting Moment step is recorded on the lead as an
 * activity, its description filled with the tokens (the trigger's, else the campaign's own).
 */
export function triggerCampaign(state: MarketoState, campaignId: number, body: unknown): Response {
  const campaign = state.campaign(campaignId);
  if (!campaign) return marketoError('1013', `Campaign '${campaignId}' not found`);
  if (!campaign.requestable) return marketoError('1003', `Campaign '${campaign.name}' cannot be requested: its trigger is not "Campaign is Requested" with source Web Service API`);
  const input = ((body as { input?: unknown } | null)?.input ?? {}) as { leads?: unknown; tokens?: unknown };
  const ids = inputIds({ input: input.leads }, MARKETO_LIMITS.campaignBatchSize);
  if (ids instanceof Response) return ids;
  const missing = ids.find((id) => !state.lead(id));
  if (missing !== undefined) return marketoError('1004', `Lead '${missing}' not found`);
  const tokens: Record<string, string> = { ...campaign.tokens };
  for (const token of Array.isArray(input.tokens) ? (input.tokens as Array<{ name?: unknown; value?: unknown }>) : []) {
    if (typeof token?.name !== 'string' || !/^\{\{my\.[^{}]+\}\}$/.test(token.name)) return marketoError('1003', `Invalid token name '${String(token?.name)}': a program token is written {{my.Name}}`);
    tokens[token.name] = String(token.value ?? '');
  }
  const moment = campaign.interestingMoment;
  if (moment) {
    const description = moment.description.replace(/\{\{my\.[^{}]+\}\}/g, (name) => tokens[name] ?? name);
    for (const id of ids) {
      state.addActivity({
        leadId: id,
        activityTypeId: MARKETO_ACTIVITY_TYPES.interestingMoment.id,
        primaryAttributeValue: description,
        attributes: [
          { name: 'Type', value: moment.type },
          { name: 'Description', value: description },
          { name: 'Source', value: campaign.name },
        ],
      });
    }
  }
  return marketoOk([{ id: campaign.id }]);
}
