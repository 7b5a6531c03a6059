import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import { isRetryLater, PreparedStatementsLostError, StoreUnavailableError } from './store-unavailable.ts';

/**
 * The `pg` pool as Kysely sees it, with connection failures and errors that pass (a statement timeout,
 * too many connections, a deadlock: isRetryLater) turned into StoreUnavailableError, so the runtime can
 * tell "PostgreSQL cannot serve now" (503, retry later) from a failed statement (a bug). `describe`
 * gives the server as it may be shown (its URL without the password). With `preparedStatements`, the
 * store's statements go as named statements (namedStatement).
 */
export function poolReportingOutages(pool: pg.Pool, describe: string, options: { preparedStatements?: boolean } = {}): PostgresPool {
  const prepare = options.preparedStatements ?? true;
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
        const parsed = new Set<string>();
        wrapper = {
          query: ((sql: string, parameters: unknown[]) =>
            client.query((prepare && namedStatement(sql, parameters, parsed)) || { text: sql, values: parameters }).catch((error: unknown) => {
              if (lostPreparedStatement(error)) {
                broken = true;
                return Promise.reject(new PreparedStatementsLostError(`PostgreSQL at ${describe}: ${(error as Error).message}; the connection is closed and the next one prepares afresh`, { cause: error }));
              }
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

/** Statement names by SQL text, the same for every connection of the process. */
const statementNames = new Map<string, string>();
/** Named statements a connection keeps at most (PostgreSQL keeps each one's parse tree and plan for the connection's life). */
const NAMED_PER_CONNECTION = 200;
/** Texts the process names at most (the store sends a few hundred, multi-row forms included). */
const NAMED_TEXTS_MAX = 5_000;
/** Longer texts (multi-row statements of many rows) are parsed each time: rare, and large to keep. */
const NAMED_TEXT_MAX = 16_384;

/**
 * The store's statements as named (prepared) statements: PostgreSQL parses, analyses and plans a
 * statement once per connection, not at each execution. The store sends a few dozen texts thousands
 * of times a second, and planning them was about half of PostgreSQL's CPU under webhook load.
 * Statements without parameters (BEGIN, COMMIT) go as simple queries, as before.
 */
function namedStatement(text: string, values: unknown[], parsed: Set<string>): { name: string; text: string; values: unknown[] } | undefined {
  if (values.length === 0 || text.length > NAMED_TEXT_MAX) return undefined;
  let name = statementNames.get(text);
  if (name === undefined) {
    // The store's texts are a bounded set; should something ever build texts without end, those run unnamed.
    if (statementNames.size >= NAMED_TEXTS_MAX) return undefined;
    name = `partnerflow_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  if (!parsed.has(name)) {
    if (parsed.size >= NAMED_PER_CONNECTION) return undefined;
    parsed.add(name);
  }
  return { name, text, values };
}

/**
 * The connection's named statements no longer match the server's: a migration of another replica
 * changed a table a statement returns whole (0A000, "cached plan must not change result type"), or
 * something between (a pooler) dropped them (26000). The statement fails as one to run again at once
 * (PreparedStatementsLostError), and the connection is closed rather than reused.
 */
function lostPreparedStatement(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === '26000' || (code === '0A000' && /cached plan must not change result type/.test((error as Error).message));
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
