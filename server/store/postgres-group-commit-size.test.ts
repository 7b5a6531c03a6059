import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestPostgresStore } from '../../test/support/test-postgres.ts';
import type { KyselyStore } from './kysely-store.ts';
import type { IngestResult } from './store.ts';

const T0 = Date.parse('2026-03-02T09:00:00Z');
const delivery = (id: string) => ({ source: 'prm', deliveryId: id, event: 'prm.mdf_request.submitted', receivedAt: T0, eventHash: 'h' });
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Deliveries asked for one per turn of the event loop, as webhooks trickle in; each promise records when it settled. */
async function trickle(store: KyselyStore, ids: string[], settled: Set<string>): Promise<Array<Promise<IngestResult>>> {
  const answers: Array<Promise<IngestResult>> = [];
  for (const id of ids) {
    answers.push(store.ingest(delivery(id), []).then((r) => (settled.add(id), r)));
    await nextTurn();
  }
  return answers;
}

/**
 * With several replicas each gets a share of the webhooks, so its group commits were small (4.4 runs a
 * commit with 3 replicas on one machine, against 10.7 with 1) and BEGIN, COMMIT and their round trips
 * were paid per few runs. A group commit starts beside the one under way only for 16 waiting writes;
 * fewer wait for it and go in the next, together.
 */
describe('PostgreSQL group commit: how many writes start a commit beside the one under way', () => {
  let store: KyselyStore & { url: string };
  let blocker: pg.Client;
  beforeEach(async () => {
    // The default pool of 10: up to 3 group commits at once.
    store = await openTestPostgresStore({ poolSize: 10 });
    blocker = new pg.Client(store.url);
    await blocker.connect();
  });
  afterEach(async () => {
    await blocker.end();
    await store.close();
  });

  /** A group commit under way that cannot end until released: its delivery waits for another transaction's row of the same key. */
  async function commitHeldUnderWay(): Promise<{ answer: Promise<IngestResult>; release: () => Promise<void> }> {
    const { rows } = await blocker.query<{ pid: number }>('select pg_backend_pid() as pid');
    await blocker.query('begin');
    await blocker.query(`insert into deliveries (source, delivery_id, event, received_at, run_ids) values ('prm', 'held', 'prm.mdf_request.submitted', $1, '[]')`, [T0]);
    const answer = store.ingest(delivery('held'), []);
    for (let waited = 0; ; waited += 10) {
      const blocked = await blocker.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))', [rows[0]!.pid]);
      if (blocked.rows[0]!.n > 0) break;
      if (waited > 5000) throw new Error('the held commit never waited for the blocker');
      await pause(10);
    }
    return { answer, release: () => blocker.query('rollback').then(() => undefined) };
  }

  const transactionsThatStored = async (ids: string[]) =>
    (await blocker.query<{ n: number }>('select count(distinct xmin::text)::int as n from deliveries where delivery_id = any($1)', [ids])).rows[0]!.n;

  it('15 deliveries arriving while a commit is under way wait for it and are stored together by the next one', async () => {
    const held = await commitHeldUnderWay();
    const ids = Array.from({ length: 15 }, (_, i) => `d${i}`);
    const settled = new Set<string>();
    const answers = await trickle(store, ids, settled);
    await pause(200);
    // None is answered while the commit under way is held: no second commit started for 8 of them.
    expect(settled.size).toBe(0);
    await held.release();
    expect((await held.answer).duplicate).toBe(false);
    for (const answer of await Promise.all(answers)) expect(answer.duplicate).toBe(false);
    expect(await transactionsThatStored(ids)).toBe(1);
  });

  it('16 deliveries waiting start a commit beside the held one: they are answered before it ends, stored together', async () => {
    const held = await commitHeldUnderWay();
    const ids = Array.from({ length: 16 }, (_, i) => `d${i}`);
    const settled = new Set<string>();
    const answers = await trickle(store, ids, settled);
    for (const answer of await Promise.all(answers)) expect(answer.duplicate).toBe(false);
    expect(settled.size).toBe(16);
    expect(await transactionsThatStored(ids)).toBe(1);
    await held.release();
    expect((await held.answer).duplicate).toBe(false);
  });
});
