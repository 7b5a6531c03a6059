import { describeStoreContract } from './store.contract.ts';
import { describeBusinessTimersReplicas } from './business-timers.contract.ts';
import { openPostgresStore } from './postgres-store.ts';
import { createTestDatabase, openTestPostgresStore } from '../../test/support/test-postgres.ts';

describeStoreContract('PostgreSQL', () => openTestPostgresStore());
describeBusinessTimersReplicas('two PostgreSQL stores on one database', async () => {
  const url = await createTestDatabase();
  const first = await openPostgresStore({ url, poolSize: 4 });
  return [first, await openPostgresStore({ url, poolSize: 4 })];
});
