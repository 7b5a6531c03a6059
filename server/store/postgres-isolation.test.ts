import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestSchema, dropTestSchema } from '../../test/support/test-postgres.ts';
import { asRunId } from '../engine/ids.ts';
import type { KyselyStore } from './kysely-store.ts';
import { openPostgresStore } from './postgres-store.ts';

/**
 * The store's locking (claims, approval clicks, budget reservations, rate budgets, tell on change) is
 * written for READ COMMITTED, PostgreSQL's default: a statement that waited for a row lock sees what
 * the other transaction committed. A database or role whose `default_transaction_isolation` ops set
 * higher (REPEATABLE READ, SERIALIZABLE) would instead fail such statements with serialization errors
 * under load. The store keeps READ COMMITTED on its own connections whatever the default.
 */
const T0 = Date.parse('2026-03-02T09:00:00Z');
const stores: KyselyStore[] = [];
/** The schema's own URL (dropTestSchema reads its search_path), and the URL the stores open. */
let schemaUrl: string | undefined;
let url: string;
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  if (schemaUrl) await dropTestSchema(schemaUrl);
  schemaUrl = undefined;
});

/** A schema whose connections default to SERIALIZABLE, as `ALTER DATABASE … SET default_transaction_isolation` would make them. */
async function serializableByDefault(): Promise<string> {
  schemaUrl = await createTestSchema();
  const scoped = new URL(schemaUrl);
  scoped.searchParams.set('options', `${scoped.searchParams.get('options')} -c default_transaction_isolation=serializable`);
  return scoped.toString();
}

describe('PostgreSQL store on a database whose default isolation is SERIALIZABLE', () => {
  it('runs its statements and transactions under READ COMMITTED', async () => {
    url = await serializableByDefault();
    const store = await openPostgresStore({ url, poolSize: 2 });
    stores.push(store);
    const inTransaction = await store.db.transaction().execute((tx) => sql<{ transaction_isolation: string }>`show transaction_isolation`.execute(tx));
    expect(inTransaction.rows[0]!.transaction_isolation).toBe('read committed');
    const alone = await sql<{ transaction_isolation: string }>`show transaction_isolation`.execute(store.db);
    expect(alone.rows[0]!.transaction_isolation).toBe('read committed');
  });

  it('two replicas claiming the same due runs at once claim each exactly once, without a serialization error', async () => {
    url = await serializableByDefault();
    const [a, b] = [await openPostgresStore({ url, poolSize: 4 }), await openPostgresStore({ url, poolSize: 4 })];
    stores.push(a, b);
    const ids = Array.from({ length: 60 }, (_, i) => asRunId(`run_iso_${String(i).padStart(3, '0')}`));
    for (const id of ids) {
      await a.createRun({
        id,
        recipe: 'r',
        recipeVersion: 1,
        recipeHash: 'h',
        trigger: { type: 'webhook', event: 'e', receivedAt: T0, data: {} },
        dedupKey: id,
        correlationKey: null,
        cancelOnEvent: null,
        wakeAt: T0,
        createdAt: T0,
      } as never);
    }
    const claimed: string[] = [];
    const claimer = async (store: KyselyStore, name: string) => {
      for (let n = 0; ; n++) {
        const runs = await store.claimDueRuns({ now: T0 + 1, owner: `${name}~${n}`, leaseMs: 60_000, limit: 3 });
        if (runs.length === 0) return;
        claimed.push(...runs.map((r) => r.id));
      }
    };
    await Promise.all([claimer(a, 'a1'), claimer(a, 'a2'), claimer(b, 'b1'), claimer(b, 'b2')]);
    expect(claimed.sort()).toEqual([...ids].sort());
  });
});
