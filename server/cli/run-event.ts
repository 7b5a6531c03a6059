import { z } from 'zod';
import { formatIssues } from '../../schemas/format-issues.ts';
import type { Recipe } from '../../schemas/recipe.ts';
import type { ConnectorCatalog } from '../engine/connector-registry.ts';

/** What `partnerflow run` starts the run with, or why the event file is not an event of the recipe. */
export type RunEvent = { data: unknown; problem?: undefined } | { problem: string };

/** The event a `schedule` trigger gives its run (engine.ts: one per fire time), as `run --event` takes it. */
export const SCHEDULE_EVENT_SHAPE = '{"scheduled_at": "<an ISO time, e.g. 2026-03-03T07:00:00Z>"}';
/**
 * The event a `timer` trigger gives its run (business-timers.ts: one per record, offset and date), as
 * `run --event` takes it: the record's key, the date followed, the offset that fell due and the record.
 */
export const TIMER_EVENT_SHAPE = '{"key": "<the record\'s key, e.g. MDF-1001>", "date": "<the date followed, e.g. 2026-05-13>", "offset": <the offset due, e.g. 14>, "record": {<the record as its event carried it>}}';
const TimerEvent = z.object({ key: z.string().min(1) }).passthrough();
const ScheduleEvent = z.object({ scheduled_at: z.iso.datetime({ offset: true }), previous_scheduled_at: z.iso.datetime({ offset: true }).nullable().optional() }).strict();

/**
 * Checks the JSON of `run --event <file>` against the recipe's trigger, as the runtime would have
 * started the run: a webhook recipe takes its own event (a webhook body `{ "event", "data" }` naming
 * another one is refused, and the data must fit the event's schema); a schedule recipe takes
 * `{ "scheduled_at": <ISO time> }`, the fire time its steps compute their window from; a webhook body
 * is not an event of any other trigger. Without this, a wrong file ran and failed deep inside a step
 * (exit 1), or ran a recipe with another event's data without a word. A timer recipe takes the data its
 * timer gives, which has the record's `key`; poll and run triggers take their data as given.
 */
export function runEvent(recipe: Recipe, json: unknown, file: string, catalog: ConnectorCatalog): RunEvent {
  const body = isWebhookBody(json) ? json : undefined;
  const data = body ? body.data : json;
  const { trigger, name } = recipe;
  if (trigger.type === 'webhook') {
    if (body && !sameEvent(body.event, trigger.event)) {
      return { problem: `${file} is a ${String(body.event)} event; ${name} is started by ${trigger.event} (a webhook body { "event": "${withoutConnector(trigger.event)}", "data": … }, or the event's data alone)` };
    }
    const parsed = catalog.eventDefinition(trigger.event)?.data.safeParse(data);
    if (parsed && !parsed.success) return { problem: `${file} is not a valid ${trigger.event}: ${formatIssues(parsed.error.issues, ['data'])}` };
    return { data: parsed ? parsed.data : data };
  }
  const takes = trigger.type === 'schedule' ? `, with ${SCHEDULE_EVENT_SHAPE}` : trigger.type === 'timer' ? `, with ${TIMER_EVENT_SHAPE}` : '';
  if (body) return { problem: `${file} is a webhook event (${String(body.event)}); ${name} is started by its ${trigger.type}${takes}` };
  if (trigger.type === 'schedule') {
    const parsed = ScheduleEvent.safeParse(data);
    if (!parsed.success) return { problem: `${file} is not a schedule event: ${formatIssues(parsed.error.issues)}; ${name} is started by its schedule${takes}` };
    // As the engine writes it, so the steps read the same string whatever zone the file gave.
    // previous_scheduled_at: the slot fired before, as given (null: none); absent, the command reads it
    // from the store as the engine does (previousScheduledSlot), so a hand run of a slot is that slot's run.
    const previous = parsed.data.previous_scheduled_at;
    return { data: { scheduled_at: new Date(parsed.data.scheduled_at).toISOString(), ...(previous !== undefined && { previous_scheduled_at: previous === null ? null : new Date(previous).toISOString() }) } };
  }
  if (trigger.type === 'timer' && !TimerEvent.safeParse(data).success) {
    // The record alone (a request's fields) ran and failed at the first step reading $trigger.data.key.
    return { problem: `${file} is not a timer's event: it has no "key"; ${name} is started by its timer${takes}` };
  }
  return { data };
}

/** A webhook body as the PRM posts it: `{ "event": "mdf_request.submitted", "data": { … } }`. */
function isWebhookBody(json: unknown): json is { event: unknown; data: unknown } {
  return json !== null && typeof json === 'object' && !Array.isArray(json) && 'event' in json && 'data' in json;
}

/** A body names its event without the connector (the URL names it: /webhooks/prm); either is taken. */
function sameEvent(given: unknown, triggerEvent: string): boolean {
  return given === triggerEvent || given === withoutConnector(triggerEvent);
}

function withoutConnector(event: string): string {
  return event.slice(event.indexOf('.') + 1);
}
