import { CompiledQuery, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database.ts';
import { postgresMigrations } from './postgres-migrations.ts';
import { migrateUnlessNewer, type SchemaOutcome } from './schema-versions.ts';

/**
 * Migrates the PostgreSQL schema on a connection of its own, without the pool's statement timeout
 * (PARTNERFLOW_DATABASE_STATEMENT_TIMEOUT_MS, 30 s): waiting for another replica's migration (the
 * advisory lock) and a long migration (an index built on a big runs table) take the time they take.
 * `statement_timeout = 0` is set on the connection, so a default of the role or database does not
 * apply either. The connection is closed once the schema is current.
 */
export async function migratePostgresSchema(url: string, schema: string): Promise<SchemaOutcome> {
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 10_000, application_name: 'partnerflow migrations' });
  // A connection the server closes while idle errors on the pool: the migration's next query says so.
  pool.on('error', () => {});
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool,
      onCreateConnection: async (connection) => {
        await connection.executeQuery(CompiledQuery.raw('set statement_timeout = 0'));
      },
    }),
  });
  try {
    return await migrateUnlessNewer(db, postgresMigrations, schema);
  } finally {
    await db.destroy();
  }
}
