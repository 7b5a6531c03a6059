import Sqlite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type LogEvent } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestSchema, dropTestSchema } from '../../test/support/test-postgres.ts';
import { saveClaimTitleKeysWork, type ClaimTitleKey } from './claim-title-keys.ts';
import type { Database } from './database.ts';
import { migrateUnlessNewer } from './schema-versions.ts';
import { postgresMigrations } from './postgres-migrations.ts';
import { sqliteMigrations } from './sqlite-migrations.ts';

/**
 * D15: the first duplicate-title check on a PRM with many claims keeps every claim's key at once. The
 * keys go in multi-row upserts, a few hundred rows a statement (under SQLite's 32,766 and PostgreSQL's
 * 65,535 bound parameters), not a statement per claim. What each store was sent is counted here; what
 * the rows hold is the store contract's (claim-title-keys.contract.ts).
 */
const T0 = Date.parse('2026-04-06T09:00:00Z');
const keys = (count: number): ClaimTitleKey[] => Array.from({ length: count }, (_, i) => ({ claimId: i + 1, titleKey: `webinar ${i % 7}`, prmUpdatedMs: T0 + i * 1000 }));

/** Runs the save in one transaction, as the store does, and counts the statements other than its begin and commit. */
async function statementsToSave(db: Kysely<Database>, saved: ClaimTitleKey[]): Promise<number> {
  const before = sent.length;
  await db.transaction().execute((trx) => saveClaimTitleKeysWork(trx, { keys: saved, version: 1, now: T0 }));
  return sent.slice(before).filter((statement) => /^insert/i.test(statement)).length;
}
const sent: string[] = [];
const log = (event: LogEvent) => {
  if (event.level === 'query') sent.push(event.query.sql);
};

describe('claim title keys: statements per save', () => {
  const schemas: string[] = [];
  afterAll(async () => {
    for (const url of schemas) await dropTestSchema(url);
  });

  it('SQLite: 1,234 keys go in 3 statements (500 rows each at most), not one per claim, every row kept', async () => {
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new Sqlite(':memory:') }), log });
    try {
      await migrateUnlessNewer(db, sqliteMigrations);
      expect(await statementsToSave(db, keys(1234))).toBe(3);
      const { count } = await db.selectFrom('claim_title_keys').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
      expect(Number(count)).toBe(1234);
    } finally {
      await db.destroy();
    }
  });

  it('PostgreSQL: 1,234 keys go in 3 statements, every row kept', async () => {
    const url = await createTestSchema();
    schemas.push(url);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }), log });
    try {
      await migrateUnlessNewer(db, postgresMigrations);
      expect(await statementsToSave(db, keys(1234))).toBe(3);
      const { count } = await db.selectFrom('claim_title_keys').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
      expect(Number(count)).toBe(1234);
    } finally {
      await db.destroy();
    }
  });
});
