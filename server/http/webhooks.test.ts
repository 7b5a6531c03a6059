import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { recipeWith } from '../../test/support/engine-fixture.ts';
import { appFixture, WEBHOOK_SECRET, type AppFixture } from './app-fixture.ts';
import { signWebhook } from './webhook-signature.ts';

let fx: AppFixture;
afterEach(async () => fx?.close());

const delivery = (id = 'delivery-1', data: Record<string, unknown> = { id: 'T-1' }) => ({ id, event: 'thing.happened', data });

/** Nothing was stored: no run exists, and the delivery id is still new (it is accepted as a first delivery). */
async function expectNothingStored(deliveryId = 'delivery-1'): Promise<void> {
  expect(await fx.store.listRuns({ limit: 10 })).toEqual([]);
  const res = await fx.deliver(delivery(deliveryId));
  expect(res.status).toBe(202);
  expect(await res.json()).toMatchObject({ duplicate: false });
}

describe('POST /webhooks/:source', () => {
  it('stores the delivery as a run before answering 202 with its id', async () => {
    fx = await appFixture();
    const res = await fx.deliver({ ...delivery(), occurred_at: '2026-03-02T08:59:00Z' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { delivery_id: string; duplicate: boolean; run_ids: string[] };
    expect(body).toEqual({ delivery_id: 'delivery-1', duplicate: false, run_ids: [expect.stringMatching(/^run_/)] });
    const run = await fx.store.getRun(body.run_ids[0] as never);
    expect(run).toMatchObject({ recipe: 'test-recipe', status: 'queued', trigger: { event: 'fake.thing.happened', deliveryId: 'delivery-1', data: { id: 'T-1' } } });
  });

  describe('signature', () => {
    it('refuses a delivery without signature headers with 401 and stores nothing', async () => {
      fx = await appFixture();
      const res = await fx.app.request('/webhooks/fake', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(delivery()) });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: string }).error).toMatch(/missing X-Partnerflow-Timestamp/);
      await expectNothingStored();
    });

    it('refuses a signature made with another secret', async () => {
      fx = await appFixture();
      const res = await fx.deliver(delivery(), { secret: 'some-other-secret-0000' });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: string }).error).toMatch(/signature does not match/);
      await expectNothingStored();
    });

    it('refuses a body changed after signing', async () => {
      fx = await appFixture();
      const signed = JSON.stringify(delivery('delivery-1', { id: 'T-1' }));
      const sent = JSON.stringify(delivery('delivery-1', { id: 'T-2' }));
      const res = await fx.app.request('/webhooks/fake', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signWebhook(WEBHOOK_SECRET, signed, Math.floor(fx.clock.now() / 1000)) },
        body: sent,
      });
      expect(res.status).toBe(401);
      await expectNothingStored();
    });

    it('refuses a signature of the body alone, with the right secret, saying what to sign (<timestamp>.<body>)', async () => {
      fx = await appFixture();
      const body = JSON.stringify(delivery());
      const bodyAlone = createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex');
      const res = await fx.app.request('/webhooks/fake', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-partnerflow-timestamp': String(Math.floor(fx.clock.now() / 1000)), 'x-partnerflow-signature': `sha256=${bodyAlone}` },
        body,
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'signature does not match the body: it is of the body alone; sign `<timestamp>.<body>` (X-Partnerflow-Timestamp, a dot, then the body as sent) with HMAC-SHA256' });
      await expectNothingStored();
    });

    it('refuses a malformed signature header', async () => {
      fx = await appFixture();
      const res = await fx.deliver(delivery(), { headers: { 'x-partnerflow-signature': 'md5=abc' } });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: string }).error).toMatch(/sha256=<64 hex digits>/);
      await expectNothingStored();
    });

    it('refuses a timestamp more than 5 minutes from the engine clock, either way', async () => {
      fx = await appFixture();
      const now = Math.floor(fx.clock.now() / 1000);
      for (const timestamp of [now - 301, now + 301]) {
        const res = await fx.deliver(delivery(), { timestamp });
        expect(res.status).toBe(401);
        expect(((await res.json()) as { error: string }).error).toMatch(/more than 5 minutes/);
      }
      // Within the window it is fine (a sender's clock a little off).
      expect((await fx.deliver(delivery('delivery-2'), { timestamp: now - 299 })).status).toBe(202);
      expect(await fx.store.listRuns({ limit: 10 })).toHaveLength(1);
    });
  });

  describe('body', () => {
    it('answers 400 naming `$` for a body that is not JSON, and stores nothing', async () => {
      fx = await appFixture();
      const res = await fx.deliver('{"id": "delivery-1", "event": ');
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: string; issues: Array<{ path: string; message: string }> };
      expect(body.error).toBe('the body is not valid JSON');
      expect(body.issues).toEqual([{ path: '$', message: expect.any(String) }]);
      await expectNothingStored();
    });

    it('answers 400 naming each field that is missing or of the wrong type, and stores nothing', async () => {
      fx = await appFixture();
      const res = await fx.deliver({ event: 'thing.happened', data: 'T-1', occurred_at: 'yesterday' });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: string; issues: Array<{ path: string }> };
      expect(body.issues.map((i) => i.path).sort()).toEqual(['data', 'id', 'occurred_at']);
      expect(body.error).toMatch(/^the delivery is not valid: /);
      await expectNothingStored();
    });

    it('passes on the engine’s refusal of data that fails the event schema (400, path into data)', async () => {
      fx = await appFixture();
      const res = await fx.deliver(delivery('delivery-1', { id: 42 }));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { issues: Array<{ path: string }> };
      expect(body.issues).toEqual([{ path: 'data.id', message: expect.any(String) }]);
      await expectNothingStored();
    });

    it('answers 400 for an event the source does not have', async () => {
      fx = await appFixture();
      const res = await fx.deliver({ ...delivery(), event: 'thing.vanished' });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: string; issues: unknown };
      expect(body.error).toMatch(/has no event "thing.vanished"/);
      // The field is named, as for any other refused field, not an empty list of issues.
      expect(body.issues).toEqual([{ path: 'event', message: body.error }]);
      await expectNothingStored();
    });

    it('names the event meant for an unknown one: a typo, or the event written with its source (review10)', async () => {
      fx = await appFixture();
      let res = await fx.deliver({ ...delivery(), event: 'thing.hapened' });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('source fake has no event "thing.hapened" (did you mean "thing.happened"?)');
      // As recipes write it: the URL already names the source.
      res = await fx.deliver({ ...delivery(), event: 'fake.thing.happened' });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe(
        'source fake has no event "fake.thing.happened": the URL names the source (/webhooks/fake), so the body\'s event is written without it: "thing.happened"',
      );
      res = await fx.deliver({ ...delivery(), event: 'completely.different' });
      expect(((await res.json()) as { error: string }).error).toMatch(/^source fake has no event "completely.different"; its events: .*thing\.happened/);
      await expectNothingStored();
    });

    it('answers 413 for a declared Content-Length over the limit without reading the body', async () => {
      fx = await appFixture({ config: { maxBodyBytes: 1024 } });
      const res = await fx.deliver(delivery(), { headers: { 'content-length': '5000' } });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: string }).error).toMatch(/larger than 1024 bytes/);
      await expectNothingStored();
    });

    it('answers 413 for a streamed body that grows past the limit (no Content-Length)', async () => {
      fx = await appFixture({ config: { maxBodyBytes: 1024 } });
      const text = JSON.stringify(delivery('delivery-1', { id: 'T-1', padding: 'x'.repeat(2000) }));
      const chunks = [text.slice(0, 600), text.slice(600, 1200), text.slice(1200)];
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = chunks.shift();
          if (next === undefined) controller.close();
          else controller.enqueue(new TextEncoder().encode(next));
        },
      });
      const request = new Request('http://localhost/webhooks/fake', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signWebhook(WEBHOOK_SECRET, text, Math.floor(fx.clock.now() / 1000)) },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      expect(request.headers.get('content-length')).toBeNull();
      const res = await fx.app.request(request);
      expect(res.status).toBe(413);
      // It stopped reading once past the limit: the rest of an oversized stream is never buffered.
      expect(chunks).toHaveLength(1);
      await expectNothingStored();
    });
  });

  describe('content type', () => {
    it('refuses a validly signed delivery sent as anything but application/json with 415, and stores nothing', async () => {
      fx = await appFixture();
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=iso-8859-1', 'application/jsonx']) {
        const res = await fx.deliver(delivery(), { headers: { 'content-type': contentType } });
        expect(res.status, contentType).toBe(415);
        expect(((await res.json()) as { error: string }).error).toBe(`a delivery must be sent with Content-Type application/json (UTF-8); got "${contentType}"`);
      }
      await expectNothingStored();
    });

    it('refuses a delivery without a Content-Type with 415', async () => {
      fx = await appFixture();
      const body = JSON.stringify(delivery());
      const request = new Request('http://localhost/webhooks/fake', { method: 'POST', headers: signWebhook(WEBHOOK_SECRET, body, Math.floor(fx.clock.now() / 1000)), body });
      // A string body would get text/plain from fetch; remove it to send none at all.
      request.headers.delete('content-type');
      const res = await fx.app.request(request);
      expect(res.status).toBe(415);
      expect(((await res.json()) as { error: string }).error).toMatch(/application\/json \(UTF-8\); it has none/);
      await expectNothingStored();
    });

    it('accepts application/json with a UTF-8 charset, in any case', async () => {
      fx = await appFixture();
      expect((await fx.deliver(delivery('delivery-1'), { headers: { 'content-type': 'application/json; charset=utf-8' } })).status).toBe(202);
      expect((await fx.deliver(delivery('delivery-2'), { headers: { 'content-type': 'Application/JSON;charset="UTF-8"' } })).status).toBe(202);
    });
  });

  describe('limits (DELIVERY_LIMITS)', () => {
    /**
     * A delivery whose objects go `levels` deep: the delivery is level 1, its data level 2, and data.a
     * holds the rest. Built as text: JSON.stringify cannot take a value this deep.
     */
    const nested = (levels: number, id = 'delivery-1') =>
      `{"id":"${id}","event":"thing.happened","data":{"id":"T-1","a":${'{"a":'.repeat(levels - 3)}{}${'}'.repeat(levels - 3)}}}`;

    it('answers 400 naming the depth limit for data nested 10,000 levels deep (not a 500), and stores nothing', async () => {
      fx = await appFixture();
      const res = await fx.deliver(nested(10_000));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: string; issues: Array<{ path: string; message: string }> };
      expect(body.error).toMatch(/^the delivery is beyond a limit: data(\.a){31}: nested more than 32 levels deep \(objects and arrays\)$/);
      expect(body.issues).toEqual([{ path: `data${'.a'.repeat(31)}`, message: 'nested more than 32 levels deep (objects and arrays)' }]);
      await expectNothingStored();
    });

    it('accepts data nested up to the limit: the delivery is level 1, its data level 2', async () => {
      fx = await appFixture();
      expect((await fx.deliver(nested(32))).status).toBe(202);
      const res = await fx.deliver(nested(33, 'delivery-2'));
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/nested more than 32 levels deep/);
    });

    it('refuses a blank delivery id (only spaces) with 400 naming the id, and stores nothing: every later delivery under it would be taken for a redelivery and dropped', async () => {
      fx = await appFixture();
      for (const blank of ['   ', '\t\n']) {
        const res = await fx.deliver(delivery(blank));
        expect(res.status, JSON.stringify(blank)).toBe(400);
        const body = (await res.json()) as { issues: Array<{ path: string; message: string }> };
        expect(body.issues).toEqual([{ path: 'id', message: 'is blank: give each event an id of its own (one that is not only spaces), and the same id when sending it again' }]);
      }
      await expectNothingStored();
      expect((await fx.deliver(delivery(' d-1 '))).status).toBe(202);
    });

    it('answers 400 naming the limit for a record key of more than 500 characters (a 500,000-character id is no key), and stores nothing', async () => {
      fx = await appFixture({ config: { maxBodyBytes: 1024 * 1024 } });
      const res = await fx.deliver(delivery('delivery-1', { id: 'M'.repeat(500_000) }));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: string; issues: Array<{ path: string; message: string }> };
      expect(body.issues).toEqual([{ path: 'data', message: "the record's key is 500000 characters, longer than the limit of 500" }]);
      expect(body.error).toBe("fake.thing.happened: the record's key is 500000 characters, longer than the limit of 500; nothing was stored");
      await expectNothingStored();
    });

    it('accepts free text as long as the body allows (review 6: a 50,000-character description is a partner\'s, not a key), stored whole', async () => {
      fx = await appFixture({ config: { maxBodyBytes: 1024 * 1024 } });
      const note = 'Agenda. '.repeat(62_500);
      const res = await fx.deliver(delivery('delivery-1', { id: 'T-1', note }));
      expect(res.status).toBe(202);
      const { run_ids } = (await res.json()) as { run_ids: string[] };
      expect((await fx.store.getRun(run_ids[0] as never))?.trigger).toMatchObject({ data: { id: 'T-1', note } });
    });

    it('counts every refusal by reason in partnerflow_webhooks_refused_total: invalid (400, the event is lost), signature, unknown_source, content_type', async () => {
      fx = await appFixture();
      expect((await fx.deliver(delivery('delivery-1', { id: 'K'.repeat(501) }))).status).toBe(400);
      expect((await fx.deliver({ id: 'delivery-2', event: 'thing.happened' })).status).toBe(400);
      expect((await fx.deliver(delivery('delivery-3'), { secret: 'some-other-secret-0000' })).status).toBe(401);
      expect((await fx.app.request('/webhooks/nobody', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);
      expect((await fx.deliver(delivery('delivery-4'), { headers: { 'content-type': 'text/plain' } })).status).toBe(415);
      const text = await (await fx.app.request('/metrics')).text();
      const refused = Object.fromEntries(
        text.split('\n').filter((l) => l.startsWith('partnerflow_webhooks_refused_total{')).map((l) => [/reason="([^"]+)"/.exec(l)![1], Number(l.split(' ').at(-1))]),
      );
      // Every reason is shown from the start, at 0 for those nothing was refused for (an alert's increase() needs a sample before the first).
      expect(refused).toEqual({ invalid: 2, signature: 1, unknown_source: 1, content_type: 1, backlog: 0, age: 0, store_unavailable: 0, too_large: 0, delivery_id_reused: 0 });
    });

    it('refuses a key written twice in one object with 400 naming the key and its path, and stores nothing: JSON.parse would keep the last without a word, and a signed payload must not be ambiguous', async () => {
      fx = await appFixture();
      const cases: Array<[string, string, string]> = [
        ['{"id":"delivery-1","event":"thing.happened","data":{"id":"T-1","amount":10,"amount":10000}}', 'data.amount', 'the key "amount" is written twice in data'],
        ['{"id":"delivery-1","event":"thing.happened","id":"delivery-9","data":{"id":"T-1"}}', 'id', 'the key "id" is written twice in the delivery'],
        ['{"id":"delivery-1","event":"thing.happened","data":{"id":"T-1","items":[{"sku":"a"},{"sku":"b","qty":1,"qty":2}]}}', 'data.items[1].qty', 'the key "qty" is written twice in data.items[1]'],
        // The same key escaped otherwise is the same key to a parser.
        ['{"id":"delivery-1","event":"thing.happened","data":{"id":"T-1","status":"Open","st\\u0061tus":"Approved"}}', 'data.status', 'the key "status" is written twice in data'],
      ];
      for (const [body, path, words] of cases) {
        const res = await fx.deliver(body);
        expect(res.status, body).toBe(400);
        const answer = (await res.json()) as { error: string; issues: Array<{ path: string; message: string }> };
        const message = `${words}: a repeated key is ambiguous (JSON keeps the last one, another reader may take the first), so the delivery is refused; send each key once`;
        expect(answer.issues).toEqual([{ path, message }]);
        expect(answer.error).toBe(`the delivery is not valid: ${path}: ${message}`);
      }
      await expectNothingStored();
    });

    it('accepts the same key in different objects, and key-like text inside strings (no repeated key)', async () => {
      fx = await appFixture();
      const body = '{"id":"delivery-1","event":"thing.happened","data":{"id":"T-1","note":"{\\"a\\":1,\\"a\\":2} \\\\","items":[{"sku":"a"},{"sku":"b"}],"sku":"c","a\\"b":1,"a\\\\":2}}';
      const res = await fx.deliver(body);
      expect(res.status, await res.clone().text()).toBe(202);
    });

    it('answers 400 naming the limit for a key of more than 200 characters, in data or in an array in it', async () => {
      fx = await appFixture();
      const res = await fx.deliver(delivery('delivery-1', { id: 'T-1', items: [{ ok: 1 }, { ['k'.repeat(201)]: 1 }] }));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { issues: Array<{ path: string; message: string }> };
      expect(body.issues).toEqual([{ path: 'data.items[1]', message: expect.stringMatching(/^a key of 201 characters \("k{20}\.\.\."\), longer than the limit of 200$/) }]);
      await expectNothingStored();
    });

    it('refuses a dedup key longer than 500 characters computed by a recipe, naming the recipe and the limit, and stores nothing', async () => {
      fx = await appFixture({
        recipes: [
          recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: '{% trigger.data.id %}' } }], {
            trigger: { type: 'webhook', event: 'fake.thing.happened', dedup_key: '{% data.id %}' },
          }),
        ],
      });
      const res = await fx.deliver(delivery('delivery-1', { id: 'M'.repeat(501) }));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: string };
      expect(body.error).toBe('fake.thing.happened: recipe test-recipe: its dedup_key is 501 characters, longer than the limit of 500; nothing was stored');
      await expectNothingStored();
      expect((await fx.deliver(delivery('delivery-2', { id: 'M'.repeat(500) }))).status).toBe(202);
    });

    it('refuses a concurrency key longer than 500 characters the same way, naming the recipe and the limit, and stores nothing', async () => {
      fx = await appFixture({
        recipes: [
          recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: '{% trigger.data.id %}' } }], {
            trigger: { type: 'webhook', event: 'fake.thing.happened', dedup_key: "{% 'one:' & data.n %}", concurrency_key: '{% data.id %}' },
          }),
        ],
      });
      const res = await fx.deliver(delivery('delivery-1', { id: 'M'.repeat(501), n: '1' }));
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('fake.thing.happened: recipe test-recipe: its concurrency_key is 501 characters, longer than the limit of 500; nothing was stored');
      await expectNothingStored();
    });
  });

  describe('sources', () => {
    it('answers 404 for a source without a webhook secret, including names Object.prototype has', async () => {
      fx = await appFixture();
      for (const source of ['salesforce-typo', 'constructor', '__proto__']) {
        const res = await fx.app.request(`/webhooks/${source}`, { method: 'POST', body: JSON.stringify(delivery()) });
        expect(res.status).toBe(404);
        expect(((await res.json()) as { error: string }).error).toMatch(/unknown source/);
      }
      await expectNothingStored();
    });

    it('names the variable its secret is read from for a source that is no typo (an optional source such as web forms answers 404 until it is set)', async () => {
      // The fake connector takes webhooks; without its secret it is such an optional source.
      fx = await appFixture({ config: { webhookSecrets: {} } });
      const res = await fx.app.request('/webhooks/fake', { method: 'POST', body: JSON.stringify(delivery()) });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: string }).error).toBe('unknown source "fake": no webhook secret is configured for it (its secret is read from WEBHOOK_SECRET_FAKE)');
      await fx.close();
      fx = await appFixture();
      // A name no connector takes webhooks under (as /webhooks/marketo in mock mode): setting WEBHOOK_SECRET_FORMS
      // would change nothing, so it is not suggested; the sources that do take webhooks are named instead.
      const forms = await fx.app.request('/webhooks/forms', { method: 'POST', body: JSON.stringify(delivery()) });
      expect(forms.status).toBe(404);
      expect(((await forms.json()) as { error: string }).error).toBe('unknown source "forms": no webhook secret is configured for it (no connector takes webhooks as "forms"; the sources that do: fake)');
      // Not for a name no connector could have.
      const odd = await fx.app.request('/webhooks/no%20such', { method: 'POST', body: JSON.stringify(delivery()) });
      expect(((await odd.json()) as { error: string }).error).toBe('unknown source "no such": no webhook secret is configured for it');
      await expectNothingStored();
    });

    it('names the source meant for a typo of a configured one, a sender with a wrong URL (review10)', async () => {
      fx = await appFixture();
      for (const [source, meant] of [['fak', 'fake'], ['FAKE', 'fake']]) {
        const res = await fx.app.request(`/webhooks/${source}`, { method: 'POST', body: JSON.stringify(delivery()) });
        expect(res.status).toBe(404);
        expect(((await res.json()) as { error: string }).error).toBe(`unknown source "${source}": no webhook secret is configured for it (did you mean "${meant}"? POST /webhooks/${meant})`);
      }
      await expectNothingStored();
    });

    it('answers the engine’s 404 for a configured secret whose connector this runtime does not have', async () => {
      fx = await appFixture({ config: { webhookSecrets: { fake: WEBHOOK_SECRET, ghost: 'ghost-secret-0123456789' } } });
      const body = JSON.stringify(delivery());
      const res = await fx.app.request('/webhooks/ghost', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signWebhook('ghost-secret-0123456789', body, Math.floor(fx.clock.now() / 1000)) },
        body,
      });
      expect(res.status).toBe(404);
      await expectNothingStored();
    });
  });

  describe('deduplication', () => {
    it('a delivery sent twice starts one run; both answers are 202 with the same run ids', async () => {
      fx = await appFixture();
      const first = (await (await fx.deliver(delivery())).json()) as { duplicate: boolean; run_ids: string[] };
      const second = await fx.deliver(delivery());
      expect(second.status).toBe(202);
      const again = (await second.json()) as { duplicate: boolean; run_ids: string[] };
      expect(first.duplicate).toBe(false);
      expect(again).toEqual({ delivery_id: 'delivery-1', duplicate: true, run_ids: first.run_ids });
      expect(await fx.store.listRuns({ limit: 10 })).toHaveLength(1);
    });

    it('the same delivery sent concurrently starts one run, and every answer names it', async () => {
      fx = await appFixture();
      const responses = await Promise.all(Array.from({ length: 6 }, () => fx.deliver(delivery())));
      expect(responses.map((r) => r.status)).toEqual(Array(6).fill(202));
      const bodies = (await Promise.all(responses.map((r) => r.json()))) as Array<{ duplicate: boolean; run_ids: string[] }>;
      const runs = await fx.store.listRuns({ limit: 10 });
      expect(runs).toHaveLength(1);
      for (const b of bodies) expect(b.run_ids).toEqual([runs[0]!.id]);
      expect(bodies.filter((b) => !b.duplicate)).toHaveLength(1);
    });
  });

  describe("a recipe's trigger expression that fails (review3, finding 3)", () => {
    it("answers 202 with a run for every recipe: the others' runs go on, the failing recipe's run is failed, naming its filter", async () => {
      fx = await appFixture({
        recipes: [
          recipeWith([{ id: 'urgent', type: 'set', values: { a: 1 } }] as never, { name: 'urgent-requests', trigger: { type: 'webhook', event: 'fake.thing.happened', filter: "{% $contains(data.reason, 'urgent') %}" } }),
          recipeWith([{ id: 'plain', type: 'set', values: { a: 1 } }] as never, { name: 'plain' }),
        ],
      });
      const res = await fx.deliver(delivery('delivery-1', { id: 'T-1', reason: null }));
      expect(res.status).toBe(202);
      expect(((await res.json()) as { run_ids: string[] }).run_ids).toHaveLength(2);
      await fx.engine.runUntilIdle();
      const runs = await fx.store.listRuns({ limit: 10 });
      expect(Object.fromEntries(runs.map((r) => [r.recipe, r.status]))).toEqual({ plain: 'completed', 'urgent-requests': 'failed' });
      expect(runs.find((r) => r.recipe === 'urgent-requests')!.error!.message).toMatch(/^recipe urgent-requests: trigger\.filter \{% \$contains\(data\.reason, 'urgent'\) %\} failed for this event: /);
    });
  });
});
