import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../server/engine/clock.ts';
import { createSimulatedSystems, SIMULATED_URLS, startSimulatedSystems, type SimulatedSystems } from '../simulated-systems.ts';

/** What a client of the Postmark-style email API sees over the global fetch. */
const clock = new VirtualClock('2026-04-20T09:00:00Z');
let systems: SimulatedSystems;
let server: { close(): void };

beforeAll(() => {
  systems = createSimulatedSystems({ clock });
  server = startSimulatedSystems(systems);
});
afterAll(() => server.close());
beforeEach(() => systems.reset());

const TOKEN = { 'X-Postmark-Server-Token': 'mock-email-token' };

async function send(body: unknown, headers: Record<string, string> = TOKEN) {
  const res = await fetch(`${SIMULATED_URLS.email}/email`, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function search(query: Record<string, string | number>, headers: Record<string, string> = TOKEN) {
  const params = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
  const res = await fetch(`${SIMULATED_URLS.email}/messages/outbound?${params.toString()}`, { headers: { accept: 'application/json', ...headers } });
  return { status: res.status, body: (await res.json()) as any };
}

const message = (extra: Record<string, unknown> = {}) => ({
  From: 'Partner Marketing <mdf@partnerflow.example>',
  To: 'marketing@northwind.example',
  Subject: 'We received your MDF request MDF-1001',
  TextBody: 'Thank you.',
  HtmlBody: '<p>Thank you.</p>',
  ...extra,
});

describe('POST /email', () => {
  it('accepts a message, answers with its MessageID and puts it in the mailbox', async () => {
    const res = await send(message({ To: '"Ops, Northwind" <ops@northwind.example>, marketing@northwind.example', Cc: 'cmm.emea@vendor.example', Tag: 'mdf', Metadata: { partnerflow_key: 'run_1:confirm' } }));
    expect(res).toEqual({
      status: 200,
      body: { To: '"Ops, Northwind" <ops@northwind.example>, marketing@northwind.example', SubmittedAt: '2026-04-20T09:00:00.000Z', MessageID: expect.stringMatching(/^[0-9a-f-]{36}$/), ErrorCode: 0, Message: 'OK' },
    });
    expect(systems.email.messages()).toEqual([
      {
        messageId: res.body.MessageID,
        from: 'Partner Marketing <mdf@partnerflow.example>',
        to: ['ops@northwind.example', 'marketing@northwind.example'],
        cc: ['cmm.emea@vendor.example'],
        subject: 'We received your MDF request MDF-1001',
        text: 'Thank you.',
        html: '<p>Thank you.</p>',
        tag: 'mdf',
        metadata: { partnerflow_key: 'run_1:confirm' },
        messageStream: 'outbound',
        sentAt: '2026-04-20T09:00:00.000Z',
      },
    ]);
  });

  it('answers 401 with ErrorCode 10 without the right server token', async () => {
    for (const headers of [{}, { 'X-Postmark-Server-Token': 'wrong' }] as Array<Record<string, string>>) {
      const res = await send(message(), headers);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ ErrorCode: 10, Message: expect.stringMatching(/token/i) });
    }
    expect(systems.email.messages()).toEqual([]);
  });

  it('answers 422 with ErrorCode 300 for a message it cannot send', async () => {
    const problems: Array<[Record<string, unknown>, RegExp]> = [
      [{ From: '' }, /Invalid 'From' address/],
      [{ To: '' }, /Zero recipients/],
      [{ To: 'marketing.northwind.example' }, /Error parsing 'To': Illegal email address 'marketing.northwind.example'. It must contain the '@' symbol./],
      [{ Cc: 'a@b.example, nope' }, /Error parsing 'Cc'/],
      [{ Subject: undefined }, /Subject/],
      [{ TextBody: undefined, HtmlBody: undefined }, /Provide either email TextBody or HtmlBody or both/],
      [{ Metadata: { a_very_long_metadata_name: 'x' } }, /longer than 20/],
      [{ Metadata: { key: 'x'.repeat(81) } }, /longer than 80/],
      [{ Metadata: { key: 'a', KEY: 'b' } }, /unique regardless of case/],
      [{ To: Array.from({ length: 51 }, (_, i) => `p${i}@x.example`).join(',') }, /Maximum of 50 recipients/],
    ];
    for (const [extra, why] of problems) {
      const res = await send(message(extra));
      expect(res.status, JSON.stringify(extra)).toBe(422);
      expect(res.body.ErrorCode).toBe(300);
      expect(res.body.Message).toMatch(why);
    }
    expect(await send('{not json')).toEqual({ status: 422, body: { ErrorCode: 402, Message: 'Received invalid JSON input.' } });
    expect(systems.email.messages()).toEqual([]);
  });
});

describe('GET /messages/outbound', () => {
  beforeEach(async () => {
    await send(message({ Metadata: { partnerflow_key: 'run_1:confirm' }, Tag: 'received' }));
    clock.advance(1000);
    await send(message({ To: 'cmm.emea@vendor.example', Subject: 'MDF approval needed', Metadata: { partnerflow_key: 'run_1:ask' } }));
    clock.advance(1000);
    await send(message({ Subject: 'Your MDF request is approved', Metadata: { partnerflow_key: 'run_1:tell' } }));
  });

  it('finds a message by its metadata: how a sender checks whether an interrupted send went out', async () => {
    const found = await search({ count: 1, offset: 0, metadata_partnerflow_key: 'run_1:ask' });
    expect(found.body).toEqual({
      TotalCount: 1,
      Messages: [
        expect.objectContaining({
          MessageID: systems.email.messages()[1]!.messageId,
          To: [{ Email: 'cmm.emea@vendor.example', Name: null }],
          Subject: 'MDF approval needed',
          Metadata: { partnerflow_key: 'run_1:ask' },
          Status: 'Sent',
          ReceivedAt: '2026-04-20T09:00:01.000Z',
        }),
      ],
    });
    expect((await search({ count: 1, offset: 0, metadata_partnerflow_key: 'run_2:ask' })).body).toEqual({ TotalCount: 0, Messages: [] });
  });

  it('lists newest first, by recipient or tag, paged by count and offset', async () => {
    const byRecipient = await search({ count: 10, offset: 0, recipient: 'MARKETING@northwind.example' });
    expect(byRecipient.body.Messages.map((m: { Subject: string }) => m.Subject)).toEqual(['Your MDF request is approved', 'We received your MDF request MDF-1001']);
    expect((await search({ count: 10, offset: 0, tag: 'received' })).body.TotalCount).toBe(1);
    const paged = await search({ count: 1, offset: 1 });
    expect(paged.body).toMatchObject({ TotalCount: 3, Messages: [expect.objectContaining({ Subject: 'MDF approval needed' })] });
  });

  it('finds mail sent to cmm.emea@vendor.example when asked for Cmm.Emea@Vendor.example: addresses compare without regard to case', async () => {
    const found = await search({ count: 10, offset: 0, recipient: 'Cmm.Emea@Vendor.example' });
    expect(found.body.Messages.map((m: { Subject: string }) => m.Subject)).toEqual(['MDF approval needed']);
  });

  it('searches one message stream: outbound unless messagestream names another', async () => {
    await send(message({ MessageStream: 'mdf-notices', Metadata: { partnerflow_key: 'run_1:notice' } }));
    const key = { count: 1, offset: 0, metadata_partnerflow_key: 'run_1:notice' };
    expect((await search(key)).body).toEqual({ TotalCount: 0, Messages: [] });
    expect((await search({ ...key, messagestream: 'outbound' })).body).toEqual({ TotalCount: 0, Messages: [] });
    const found = await search({ ...key, messagestream: 'mdf-notices' });
    expect(found.body).toMatchObject({ TotalCount: 1, Messages: [{ MessageStream: 'mdf-notices', Metadata: { partnerflow_key: 'run_1:notice' } }] });
    expect((await search({ count: 10, offset: 0 })).body.TotalCount).toBe(3);
  });

  it('needs count and offset, and the server token', async () => {
    expect((await search({ offset: 0 })).status).toBe(422);
    expect((await search({ count: 501, offset: 0 })).status).toBe(422);
    expect((await search({ count: 1, offset: 0 }, {})).status).toBe(401);
  });
});
