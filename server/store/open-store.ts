import type { Logger } from '../../connectors/kit/define-connector.ts';
import type { RuntimeConfig } from '../config.ts';
import { redactDatabaseUrl } from './database-url.ts';
import { newerSchemaWarning } from './schema-versions.ts';
import type { Store } from './store.ts';
import type { OnStartPhase } from '../start-stop.ts';

/** serve's start: its stop signal (SIGTERM/SIGINT), and what it is told of the phases and the migrations applied. */
export interface StoreStart {
  signal?: AbortSignal;
  onPhase?: OnStartPhase;
  onMigrated?: (names: string[]) => void;
}

/**
 * The runtime's store as the configuration names it: PostgreSQL when PARTNERFLOW_DATABASE_URL is set
 * (several replicas share it), otherwise the embedded SQLite file (PARTNERFLOW_DB). Each is loaded
 * only when chosen: a SQLite deployment never loads the PostgreSQL driver, nor the reverse.
 */
export async function openRuntimeStore(config: Pick<RuntimeConfig, 'dbPath' | 'database'>, log?: Pick<Logger, 'warn'>, start: StoreStart = {}): Promise<Store> {
  // A newer version migrated the schema further (a rolling deploy, a rollback): this one runs on it.
  const onNewerSchema = (newer: string[]) => log?.warn({ newerMigrations: newer }, newerSchemaWarning(newer));
  if (config.database) {
    const { openPostgresStore } = await import('./postgres-store.ts');
    return openPostgresStore({ ...config.database, onNewerSchema, ...start });
  }
  const { openSqliteStore } = await import('./sqlite-store.ts');
  return openSqliteStore({ path: config.dbPath, onNewerSchema, ...start });
}

/** Where the store is, as it may be shown (logs, CLI output): the SQLite file, or the PostgreSQL URL without its password. */
export function describeStoreLocation(config: Pick<RuntimeConfig, 'dbPath' | 'database'>): string {
  return config.database ? redactDatabaseUrl(config.database.url) : config.dbPath;
}
