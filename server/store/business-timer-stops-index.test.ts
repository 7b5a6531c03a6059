import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestPostgresStore } from '../../test/support/test-postgres.ts';
import { openSqliteStore } from './sqlite-store.ts';

/**
 * D14: every claim event looks for the stops its claim holds on other requests (business-timer-stops.ts:
 * recipe, offset `stop:<claim>`, status stopped). The unique index leads with recipe then record key, so
 * without an index of its own that read went through every timer of the recipe: three reminders and a
 * marker a request, all requests ever approved. It must find the claim's markers through an index.
 */
const LIFT_READ = `select * from business_timers where recipe = 'mdf-claim-reminder' and "offset" = 'stop:41' and status = 'stopped' and record_key != 'MDF-0902'`;

const dir = mkdtempSync(join(tmpdir(), 'partnerflow-stops-index-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the read of a claim's timer stops goes through an index", () => {
  it('SQLite', async () => {
    const path = join(dir, 'stops.db');
    await (await openSqliteStore({ path })).close();
    const db = new Sqlite(path, { readonly: true });
    try {
      const plan = (db.prepare(`explain query plan ${LIFT_READ}`).all() as Array<{ detail: string }>).map((row) => row.detail).join('\n');
      expect(plan).toContain('USING INDEX business_timers_stopped_by_offset');
    } finally {
      db.close();
    }
  });

  it('PostgreSQL', async () => {
    const store = await openTestPostgresStore();
    const client = new pg.Client(store.url);
    await client.connect();
    try {
      // An empty table is read whole whatever its indexes; without sequential scans the plan shows whether one serves.
      await client.query('set enable_seqscan = off');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain ${LIFT_READ}`);
      expect(rows.map((row) => row['QUERY PLAN']).join('\n')).toContain('business_timers_stopped_by_offset');
      // As the store sends it: a prepared statement, values bound but the status, whose generic plan
      // (PostgreSQL's after five executions) must still reach the partial index.
      await client.query('set plan_cache_mode = force_generic_plan');
      await client.query(`prepare lift(text, text, text) as select * from business_timers where recipe = $1 and "offset" = $2 and status = 'stopped' and record_key != $3`);
      const generic = await client.query<{ 'QUERY PLAN': string }>(`explain execute lift('mdf-claim-reminder', 'stop:41', 'MDF-0902')`);
      expect(generic.rows.map((row) => row['QUERY PLAN']).join('\n')).toContain('business_timers_stopped_by_offset');
    } finally {
      await client.end();
      await store.close();
    }
  });
});
