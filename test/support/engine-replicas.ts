import { afterEach } from 'vitest';
import { openPostgresStore } from '../../server/store/postgres-store.ts';
import { engineFixture, type EngineFixture } from './engine-fixture.ts';
import { createTestSchema, dropTestSchema } from './test-postgres.ts';

/**
 * Engines standing in for replicas (issue 14): each on a store of its own over one fresh PostgreSQL
 * schema per test. Closed, and the schema dropped, after each test.
 */
export function useEngineReplicas(): {
  /** A fresh schema for this test; replicas opened after it share it. */
  schema(): Promise<string>;
  replica(...args: Parameters<typeof engineFixture>): Promise<EngineFixture>;
  /** Stops one replica before the test ends (a replica going down); the others stay up. */
  close(fx: EngineFixture): Promise<void>;
} {
  let url: string | undefined;
  const open: EngineFixture[] = [];
  afterEach(async () => {
    for (const fx of open.splice(0)) await fx.close();
    if (url) await dropTestSchema(url);
    url = undefined;
  });
  return {
    async schema() {
      url = await createTestSchema();
      return url;
    },
    async replica(recipes, options = {}) {
      if (!url) throw new Error('useEngineReplicas: call schema() first');
      const fx = await engineFixture(recipes, { ...options, store: await openPostgresStore({ url, poolSize: 2 }) });
      open.push(fx);
      return fx;
    },
    async close(fx) {
      open.splice(open.indexOf(fx), 1);
      await fx.close();
    },
  };
}
