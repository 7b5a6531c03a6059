import { describe, expect, it } from 'vitest';
import { deliveryEventHash } from './delivery-event-hash.ts';

/** The hash that tells a sender's retry (same event) from a new event under a used delivery id. */
const of = (event: string, body: string) => deliveryEventHash(event, JSON.parse(body));

describe('deliveryEventHash', () => {
  it('is the same for the same event written out again: keys in another order, other spacing, escapes and number forms', () => {
    const first = of('prm.mdf_request.submitted', '{"mdfNumber":"MDF-1","amount":1000,"note":"é","lines":[{"a":1,"b":2}]}');
    expect(of('prm.mdf_request.submitted', '{ "lines": [ { "b": 2, "a": 1 } ], "note": "\\u00e9", "amount": 1000.0, "mdfNumber": "MDF-1" }')).toBe(first);
    expect(of('prm.mdf_request.submitted', '{"amount":1e3,"mdfNumber":"MDF-1","lines":[{"a":1,"b":2}],"note":"é"}')).toBe(first);
  });

  it('differs for any change of the event: a value, a nested value, an array’s order, a key added, the event name', () => {
    const first = of('prm.mdf_request.submitted', '{"mdfNumber":"MDF-1","status":"Open","lines":[1,2]}');
    const others = [
      of('prm.mdf_request.submitted', '{"mdfNumber":"MDF-1","status":"Canceled","lines":[1,2]}'),
      of('prm.mdf_request.submitted', '{"mdfNumber":"MDF-1","status":"Open","lines":[2,1]}'),
      of('prm.mdf_request.submitted', '{"mdfNumber":"MDF-1","status":"Open","lines":[1,2],"extra":null}'),
      of('prm.mdf_request.submitted', '{"mdfNumber":"MDF-1","status":"Open","lines":[1,"2"]}'),
      of('prm.mdf_request.status_changed', '{"mdfNumber":"MDF-1","status":"Open","lines":[1,2]}'),
    ];
    expect(new Set([first, ...others]).size).toBe(others.length + 1);
  });

  it('gives an event the same hash whatever was hashed before it (the sort of the last key list is reused)', () => {
    const body = '{"b":1,"a":{"d":2,"c":3}}';
    const alone = of('e', body);
    of('e', '{"a":1,"b":2}');
    of('e', '{"b":5,"a":{"c":3,"d":2}}');
    expect(of('e', body)).toBe(alone);
    expect(of('e', '{"a":{"c":3,"d":2},"b":1}')).toBe(alone);
    expect(of('e', '{"b":1,"a":{"d":3,"c":2}}')).not.toBe(alone);
  });

  it('counts a `__proto__` key (JSON.parse makes it an own key) as data like any other', () => {
    const a = of('fake.thing.happened', '{"id":"T-1","nested":{"__proto__":{"x":1}}}');
    const b = of('fake.thing.happened', '{"id":"T-1","nested":{"__proto__":{"x":2}}}');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });
});
