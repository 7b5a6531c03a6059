import type { RuntimeConfig } from '../config.ts';
import { redactDatabaseUrl } from './database-url.ts';
import type { Store } from './store.ts';

/**
 * The runtime's store as the configuration names it: PostgreSQL when PARTNERFLOW_DATABASE_URL is set
 * (several replicas share it), otherwise the embedded SQLite file (PARTNERFLOW_DB). Each is loaded
 * only when chosen: a SQLite deployment never loads the PostgreSQL driver, nor the reverse.
 */
export async function openRuntimeStore(config: Pick<RuntimeConfig, 'dbPath' | 'database'>): Promise<Store> {
  if (config.database) {
    const { openPostgresStore } = await import('./postgres-store.ts');
    return openPostgresStore(config.database);
  }
  const { openSqliteStore } = await import('./sqlite-store.ts');
  return openSqliteStore({ path: config.dbPath });
}

/** Where the store is, as it may be shown (logs, CLI output): the SQLite file, or the PostgreSQL URL without its password. */
export function describeStoreLocation(config: Pick<RuntimeConfig, 'dbPath' | 'database'>): string {
  return config.database ? redactDatabaseUrl(config.database.url) : config.dbPath;
}
