import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import { appFixture, type AppFixture } from './app-fixture.ts';
import { webhookRefusalLog } from './webhook-refusal-log.ts';

/** Every refused webhook delivery as an operator sees it in the log at the default level (info). */
let fx: AppFixture | undefined;
afterEach(async () => fx?.close());

interface Line {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  msg: string;
}

function capturingLog(): { log: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: Line['level']) => (fields: object, msg = '') => void lines.push({ level, fields: fields as Record<string, unknown>, msg });
  return { log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

const PRIVATE = 'Partner bank account DE89 3704 0044';

describe('POST /webhooks/:source: refused deliveries are logged at warn', () => {
  it('logs one warn line per refusal with source, delivery id when parsed, status and reason; never the body', async () => {
    const { log, lines } = capturingLog();
    fx = await appFixture({ log });
    const warned = () => lines.filter((l) => l.level === 'warn');

    const textPlain = await fx.app.request('/webhooks/fake', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: PRIVATE });
    expect(textPlain.status).toBe(415);
    expect(warned().at(-1)).toMatchObject({
      fields: { source: 'fake', status: 415, reason: 'a delivery must be sent with Content-Type application/json (UTF-8); got "text/plain"' },
      msg: 'webhook refused: fake a delivery answered 415: a delivery must be sent with Content-Type application/json (UTF-8); got "text/plain"',
    });

    // A key beyond the limit (a string value has none since review 6, but the body's).
    const beyond = await fx.deliver({ id: 'd-long', event: 'thing.happened', data: { id: 'MDF-1', note: { [`k${'x'.repeat(200)}`]: PRIVATE } } });
    expect(beyond.status).toBe(400);
    expect(warned().at(-1)).toMatchObject({ fields: { source: 'fake', deliveryId: 'd-long', status: 400, reason: expect.stringContaining('the delivery is beyond a limit: data.note') } });

    const schema = await fx.deliver({ id: 'd-schema', event: 'thing.happened', data: { id: 42, note: PRIVATE } });
    expect(schema.status).toBe(400);
    expect(warned().at(-1)).toMatchObject({ fields: { deliveryId: 'd-schema', status: 400 }, msg: expect.stringMatching(/^webhook refused: fake delivery d-schema answered 400: /) });

    const unknown = await fx.deliver({ id: 'd-unknown', event: 'thing.vanished', data: { id: 'MDF-1' } });
    expect([400, 404]).toContain(unknown.status);
    expect(warned().at(-1)).toMatchObject({ fields: { deliveryId: 'd-unknown', status: unknown.status, reason: expect.stringContaining('thing.vanished') } });

    const notADelivery = await fx.deliver({ event: 'thing.happened', data: { id: 'MDF-1', note: PRIVATE } });
    expect(notADelivery.status).toBe(400);
    expect(warned().at(-1)).toMatchObject({ fields: { status: 400, reason: expect.stringContaining('the delivery is not valid') } });

    const notJson = await fx.deliver(`{"id": "d-broken", "note": "${PRIVATE}`);
    expect(notJson.status).toBe(400);
    expect(warned().at(-1)).toMatchObject({ fields: { status: 400, reason: 'the body is not valid JSON' } });

    const badSignature = await fx.deliver({ id: 'd-sig', event: 'thing.happened', data: { id: 'MDF-1' } }, { secret: 'not-the-secret-of-fake-source' });
    expect(badSignature.status).toBe(401);
    expect(warned().at(-1)).toMatchObject({ fields: { status: 401, reason: expect.stringContaining('signature') } });

    const unknownSource = await fx.app.request('/webhooks/nobody', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(unknownSource.status).toBe(404);
    expect(warned().at(-1)).toMatchObject({ fields: { source: 'nobody', status: 404 } });

    expect(warned()).toHaveLength(8);
    for (const line of lines) expect(JSON.stringify(line)).not.toContain('DE89');
  });

  it('logs the 503s of backpressure at most once a second, counting the refusals since the line before', async () => {
    const { log, lines } = capturingLog();
    let now = 1_000_000;
    const refusals = webhookRefusalLog(log, { now: () => now });
    const behind = { source: 'prm', status: 503, reason: 'the runtime is behind' };
    for (let i = 0; i < 500; i++) refusals.behind(behind); // one storm inside a second
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', fields: { source: 'prm', status: 503, refusedSinceLastLine: 1 } });
    now += 999;
    refusals.behind(behind);
    expect(lines).toHaveLength(1);
    now += 1;
    refusals.behind(behind);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ fields: { refusedSinceLastLine: 501 }, msg: 'webhook refused: prm a delivery answered 503: the runtime is behind (501 deliveries refused since the last such line)' });
  });

  it('logs a 503 of backpressure over HTTP at warn', async () => {
    const { log, lines } = capturingLog();
    fx = await appFixture({ log, config: { maxDueBacklog: 1 } });
    expect((await fx.deliver({ id: 'd-1', event: 'thing.happened', data: { id: 'MDF-1' } })).status).toBe(202);
    await fx.app.request('/metrics'); // counts the backlog afresh
    for (const id of ['d-2', 'd-3']) expect((await fx.deliver({ id, event: 'thing.happened', data: { id: `MDF-${id}` } })).status).toBe(503);
    const behind = lines.filter((l) => l.level === 'warn' && l.fields.status === 503);
    expect(behind.length).toBeGreaterThanOrEqual(1);
    expect(behind[0]!.msg).toMatch(/^webhook refused: fake a delivery answered 503: the runtime is behind/);
  });
});
