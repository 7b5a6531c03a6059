import { describe, expect, it } from 'vitest';
import { redact } from './redact.ts';

describe('redact', () => {
  it('hides the values of keys that name a secret, at any depth, whole when they hold an object', () => {
    const input = {
      sessionId: '00D-s1', session_id: '00D-s2', access_token: 'at-1', refresh_token: 'rt-1', id_token: 'it-1', client_secret: 'cs-1',
      password: 'pw-1', passwd: 'pw-2', apiKey: 'k-1', 'X-Postmark-Server-Token': 'pm-1', Authorization: 'prm-key k-2', private_key: 'pk-1',
      nested: [{ secret: 's-1', token: 't-1', credentials: { user: 'me', pass: 'pw-3' }, name: 'kept' }],
    };
    expect(redact(input)).toEqual({
      sessionId: '[redacted]', session_id: '[redacted]', access_token: '[redacted]', refresh_token: '[redacted]', id_token: '[redacted]', client_secret: '[redacted]',
      password: '[redacted]', passwd: '[redacted]', apiKey: '[redacted]', 'X-Postmark-Server-Token': '[redacted]', Authorization: '[redacted]', private_key: '[redacted]',
      nested: [{ secret: '[redacted]', token: '[redacted]', credentials: '[redacted]', name: 'kept' }],
    });
  });

  it('hides the credentials the old pattern missed', () => {
    expect(redact({ auth: 'Basic dXNlcjpwYXNz', pwd: 'pw-1', client_assertion: 'eyJ.a.b', 'Set-Cookie': 'sid=1', PHPSESSID: 's-1', 'prm-key': 'k-1' })).toEqual({
      auth: '[redacted]', pwd: '[redacted]', client_assertion: '[redacted]', 'Set-Cookie': '[redacted]', PHPSESSID: '[redacted]', 'prm-key': '[redacted]',
    });
  });

  it('keeps names that only look like secrets', () => {
    const output = { token_type: 'Bearer', next_page_token: 'p-2', nextPageToken: 'p-3', tokens_used: 12, secretary: 'Ann', signature: 'Best regards', key: 'k', passenger: 'Bo' };
    expect(redact(output)).toEqual(output);
  });

  it("also hides the action's declared secret inputs, by exact name", () => {
    expect(redact({ key: 'k', pin: '4711', pins: 2 }, ['pin'])).toEqual({ key: 'k', pin: '[redacted]', pins: 2 });
  });
});

describe('redact at the size of a day of leads (D23: a digest step journals a partner\'s leads; 100,000 a day)', () => {
  it('redacts 100,000 leads of 14 fields in a few seconds at most (it took 9 s on the shared bench machine: every field name was split into words again for every lead)', () => {
    const leads = Array.from({ length: 100_000 }, (_, n) => ({
      id: n, email: `lead-${n}@client.example`, firstName: 'Lead', lastName: String(n), company: `Client ${n}`, phone: '+49 30 1000', partnerAccountId: 1001,
      crmPartnerId: null, partnerSyncedDate: '2026-03-02T10:00:00Z', leadAcquisitionSource: 'Trade Show', interestingMoment: null, recalledDate: null, created: '2026-03-02', updated: '2026-03-02',
    }));
    const started = performance.now();
    const out = redact({ leads, api_key: 'k-1' }) as { leads: typeof leads; api_key: string };
    const seconds = (performance.now() - started) / 1000;
    expect(out.leads[99_999]).toEqual(leads[99_999]);
    expect(out.api_key).toBe('[redacted]');
    expect(seconds, `took ${seconds.toFixed(1)} s`).toBeLessThan(5);
  });

  it('still hides secrets after more distinct key names than it remembers (keys that are data, such as ids)', () => {
    const manyKeys = Object.fromEntries(Array.from({ length: 25_000 }, (_, n) => [`record-${n}`, { value: n, client_secret: `cs-${n}` }]));
    const out = redact(manyKeys) as Record<string, { value: number; client_secret: string }>;
    expect(out['record-24999']).toEqual({ value: 24999, client_secret: '[redacted]' });
    expect(redact({ access_token: 'at-1', token_type: 'Bearer' })).toEqual({ access_token: '[redacted]', token_type: 'Bearer' });
  });
});
