import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import { isRetryLater, StoreUnavailableError } from './store-unavailable.ts';

/**
 * The `pg` pool as Kysely sees it, with connection failures and errors that pass (a statement timeout,
 * too many connections, a deadlock: isRetryLater) turned into StoreUnavailableError, so the runtime can
 * tell "PostgreSQL cannot serve now" (503, retry later) from a failed statement (a bug). `describe`
 * gives the server as it may be shown (its URL without the password).
 */
export function poolReportingOutages(pool: pg.Pool, describe: string): PostgresPool {
  const unavailable = (error: unknown) => asStoreUnavailable(error, describe);
  // One wrapper per client: Kysely keeps its connection object per client.
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    async connect() {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw unavailable(error);
      }
      let wrapper = wrapped.get(client);
      if (!wrapper) {
        let broken = false;
        wrapper = {
          query: ((sql: string, parameters: unknown[]) =>
            client.query(sql, parameters).catch((error: unknown) => {
              // No answer within the read timeout (a partition that drops packets: nothing closes the
              // socket, and TCP would wait for many minutes): the connection is dropped, not reused.
              if (error instanceof Error && /Query read timeout/.test(error.message)) {
                broken = true;
                (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
              }
              return Promise.reject(unavailable(error));
            })) as PostgresPoolClient['query'],
          release: () => client.release(broken || undefined),
        };
        wrapped.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}

/**
 * A driver error as StoreUnavailableError when it means "PostgreSQL cannot serve now" (isRetryLater),
 * naming the server as it may be shown (`describe`, no password) and the SQLSTATE; any other error as it is.
 */
export function asStoreUnavailable(error: unknown, describe: string): unknown {
  if (!isRetryLater(error)) return error;
  const code = (error as { code?: unknown }).code;
  const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? ` (SQLSTATE ${code})` : '';
  return new StoreUnavailableError(`PostgreSQL at ${describe}: ${(error as Error).message}${sqlState}`, { cause: error });
}
