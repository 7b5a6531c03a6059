import { serve } from '@hono/node-server';
import Sqlite from 'better-sqlite3';
import { Hono } from 'hono';

/**
 * The benchmark's baseline: a bare Hono handler that stores each webhook body with one SQLite insert,
 * with the runtime's durability settings (WAL, synchronous FULL), and answers 202. No validation, no
 * signature, no runs: the floor that Partnerflow's ingest is compared against.
 */
const [dbPath = './data/bench-baseline.db', portArg = '0'] = process.argv.slice(2);
const db = new Sqlite(dbPath);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec('create table if not exists deliveries (id text primary key, body text not null, received_at integer not null)');
const insert = db.prepare('insert or ignore into deliveries (id, body, received_at) values (?, ?, ?)');

const app = new Hono();
app.post('/webhooks/:source', async (c) => {
  const body = await c.req.text();
  const { id } = JSON.parse(body) as { id: string };
  insert.run(id, body, Date.now());
  return c.json({ delivery_id: id }, 202);
});

serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(portArg) }, (info) => {
  console.log(JSON.stringify({ ready: true, port: info.port, readyMs: Math.round(performance.now()) }));
});
