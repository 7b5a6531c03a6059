import { afterEach, describe, expect, it } from 'vitest';
import { MOCK_APPROVAL_LINK_SECRET } from '../../connectors/approval/approval-token.ts';
import { engineFixture, recipeWith, silentLog, type EngineFixture } from '../../test/support/engine-fixture.ts';
import { createTestSchema, dropTestSchema } from '../../test/support/test-postgres.ts';
import { openPostgresStore } from '../store/postgres-store.ts';
import { testConfig, WEBHOOK_SECRET } from './app-fixture.ts';
import { createApp } from './app.ts';
import { signWebhook } from './webhook-signature.ts';

/**
 * A NUL character (U+0000) in a delivery's keys: PostgreSQL's text cannot hold one (`invalid byte
 * sequence for encoding "UTF8": 0x00`), SQLite can. It used to be 202 on SQLite and 500 on PostgreSQL on
 * every redelivery, failing the group commit of the deliveries stored with it. On both stores it is now a
 * 400 naming the field, and nothing is stored; the other deliveries are unaffected.
 */
let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function setUp(kind: 'sqlite' | 'postgres') {
  const url = kind === 'postgres' ? await createTestSchema() : undefined;
  if (url) cleanups.push(() => dropTestSchema(url));
  const store = url ? await openPostgresStore({ url, poolSize: 2 }) : undefined;
  const recipes = [
    recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: '{% trigger.data.id %}' } }]),
    recipeWith([{ id: 'note', type: 'action', action: 'fake.record', input: { key: 'by-status' } }], { name: 'by-status', trigger: { type: 'webhook', event: 'fake.thing.happened', dedup_key: "{% 'status:' & data.status %}", filter: '{% $exists(data.status) %}' } } as never),
  ];
  const fx: EngineFixture = await engineFixture(recipes, { ...(store ? { store } : {}), workerId: 'w1' });
  cleanups.push(() => fx.close());
  const app = createApp({ engine: fx.engine, config: testConfig({ workerId: 'w1' }), log: silentLog, approvalLinks: { linkSecret: MOCK_APPROVAL_LINK_SECRET, timezone: 'Europe/Berlin' } });
  const deliver = async (body: unknown) => {
    const text = JSON.stringify(body);
    const response = await app.request('/webhooks/fake', { method: 'POST', headers: { 'content-type': 'application/json', ...signWebhook(WEBHOOK_SECRET, text, Math.floor(fx.clock.now() / 1000)) }, body: text });
    return { status: response.status, body: (await response.json()) as { error?: string; issues?: Array<{ path: string; message: string }> } };
  };
  return { fx, deliver };
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`a NUL character in a delivery's keys, on ${kind}`, () => {
    it('in the record id (its correlation key): 400 naming data.id, every time, and the deliveries beside it are stored', async () => {
      const { fx, deliver } = await setUp(kind);
      const [poisoned, fine] = await Promise.all([deliver({ id: 'nul-1', event: 'thing.happened', data: { id: 'T-1\u0000' } }), deliver({ id: 'ok-1', event: 'thing.happened', data: { id: 'T-2' } })]);
      expect(poisoned.status).toBe(400);
      expect(poisoned.body.error).toContain('data.id: contains a NUL character (\\u0000)');
      expect(fine.status).toBe(202);
      const again = await deliver({ id: 'nul-1', event: 'thing.happened', data: { id: 'T-1\u0000' } });
      expect(again.status).toBe(400);
      expect((await fx.store.listRuns({ limit: 10 })).map((r) => r.correlationKey)).toEqual(['T-2']);
    });

    it('in the delivery id: 400 naming id', async () => {
      const { deliver } = await setUp(kind);
      const refused = await deliver({ id: 'nul-\u0000-2', event: 'thing.happened', data: { id: 'T-3' } });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toContain('id: contains a NUL character (\\u0000)');
    });

    it("in a field a recipe's dedup_key is made of: 400 naming the recipe and the field", async () => {
      const { deliver } = await setUp(kind);
      const refused = await deliver({ id: 'nul-3', event: 'thing.happened', data: { id: 'T-4', status: 'open\u0000' } });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toContain('recipe by-status: its dedup_key contains a NUL character (\\u0000), from data.status');
    });
  });
}
