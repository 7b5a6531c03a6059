import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import pg from 'pg';

/**
 * The `postgres` mode's baseline: a bare Hono handler that stores each webhook body with one
 * PostgreSQL INSERT (its own transaction, autocommit) through a `pg` pool, and answers 202. No
 * validation, no signature, no runs: the floor the runtime's ingest on PostgreSQL is compared against.
 * Arguments: the database URL, the port (0: any), the pool size (default 20: enough that 50
 * connections of load keep PostgreSQL busy without a backend per request).
 */
const [url, portArg = '0', poolArg = '20'] = process.argv.slice(2);
if (!url) throw new Error('usage: postgres-baseline-server.ts <database url> [port] [pool size]');
const pool = new pg.Pool({ connectionString: url, max: Number(poolArg) });
await pool.query('create table if not exists deliveries (id text primary key, body text not null, received_at bigint not null)');

const app = new Hono();
app.post('/webhooks/:source', async (c) => {
  const body = await c.req.text();
  const { id } = JSON.parse(body) as { id: string };
  await pool.query({ name: 'insert-delivery', text: 'insert into deliveries (id, body, received_at) values ($1, $2, $3) on conflict do nothing', values: [id, body, Date.now()] });
  return c.json({ delivery_id: id }, 202);
});

serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(portArg) }, (info) => {
  console.log(JSON.stringify({ ready: true, port: info.port, readyMs: Math.round(performance.now()) }));
});
