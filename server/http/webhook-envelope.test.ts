import { describe, expect, it } from 'vitest';
import { issuesOf } from '../../schemas/format-issues.ts';
import { WebhookDelivery } from './api-schemas.ts';
import { parseWebhookDelivery } from './webhook-envelope.ts';

const long = 'x'.repeat(201);
const at200 = 'x'.repeat(200);

/** Deliveries as JSON.parse hands them over: accepted ones and refused ones, at and beyond the limits. */
const ENVELOPES: Array<[string, string]> = [
  ['a plain delivery', '{"id":"d-1","event":"mdf_request.submitted","data":{"id":7,"mdfNumber":"MDF-1"}}'],
  ['ids and events of 1 and 200 characters', JSON.stringify({ id: 'd', event: at200, data: {} })],
  ['extra envelope fields (left out of the answer)', '{"id":"d-1","event":"e","data":{},"extra":{"a":1},"source":"x"}'],
  ['nested data', '{"id":"d-1","event":"e","data":{"a":{"b":[1,{"c":null}]},"d":"x"}}'],
  ['a valid occurred_at', '{"id":"d-1","event":"e","occurred_at":"2026-03-02T08:59:00Z","data":{}}'],
  ['an occurred_at that is not a time', '{"id":"d-1","event":"e","occurred_at":"yesterday","data":{}}'],
  ['occurred_at null', '{"id":"d-1","event":"e","occurred_at":null,"data":{}}'],
  ['a __proto__ key in data', '{"id":"d-1","event":"e","data":{"__proto__":{"admin":true},"a":1}}'],
  ['an empty id', '{"id":"","event":"e","data":{}}'],
  ['an id of 201 characters', JSON.stringify({ id: long, event: 'e', data: {} })],
  ['an event of 201 characters', JSON.stringify({ id: 'd', event: long, data: {} })],
  ['a numeric id', '{"id":7,"event":"e","data":{}}'],
  ['no event', '{"id":"d-1","data":{}}'],
  ['no data', '{"id":"d-1","event":"e"}'],
  ['data null', '{"id":"d-1","event":"e","data":null}'],
  ['data an array', '{"id":"d-1","event":"e","data":[1]}'],
  ['data a string', '{"id":"d-1","event":"e","data":"x"}'],
  ['an array', '[{"id":"d-1","event":"e","data":{}}]'],
  ['null', 'null'],
  ['a number', '7'],
];

describe('the webhook envelope (parseWebhookDelivery)', () => {
  it.each(ENVELOPES)('answers %s as the WebhookDelivery schema does: same data or same issues', (_, text) => {
    const mine = parseWebhookDelivery(JSON.parse(text));
    const schema = WebhookDelivery.safeParse(JSON.parse(text));
    expect(mine.success).toBe(schema.success);
    if (mine.success && schema.success) {
      // Same fields, and the same JSON stored for the trigger's data.
      expect(mine.data).toEqual(schema.data);
      expect(JSON.stringify(mine.data.data)).toBe(JSON.stringify(schema.data.data));
    } else {
      expect(issuesOf(mine.error!)).toEqual(issuesOf(schema.error!));
    }
  });
});
