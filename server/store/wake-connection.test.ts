import { connect, createServer, type Socket } from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { WAKE_CONNECTION_SETTINGS } from './wake-connection.ts';
import { listenForWakeups, wakeChannel } from './wake-notifications.ts';
import { testPostgresUrl } from '../../test/support/test-postgres.ts';
import { until } from '../../test/support/until.ts';

/**
 * Issue 14: the wake-up listener's connection after a failover. A server that takes the connection and
 * never answers (a half-dead primary, a proxy in front of nothing) is given up after the connect
 * timeout, said in a line, and retried: before, the listener waited on it forever, and wakeups fell
 * back to the 30 s safety poll without a word. (TCP keepalive, set on the same connection, is not
 * observable here without a network that drops packets.)
 */
describe('the wake-up connection (issue 14)', () => {
  it('gives up a server that never answers the login after the connect timeout, says so, and retries', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const problems: string[] = [];
    const subscription = listenForWakeups(`postgres://partnerflow:pw@127.0.0.1:${port}/partnerflow`, 'public', () => {}, (message) => problems.push(message));
    try {
      await subscription.ready;
      expect(problems[0]).toMatch(/^the wake-up connection dropped \(.*timeout.*\); reconnecting in 50 ms$/);
    } finally {
      await subscription.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  }, WAKE_CONNECTION_SETTINGS.connectionTimeoutMillis + 10_000);
});

/**
 * Issue 14: a listening connection whose peer goes silent after LISTEN (a failover behind a proxy, a
 * route gone) never errors by itself, and the operating system's keepalive takes minutes. The relay
 * here forwards to the test server, then stops forwarding on the connection it carries without
 * closing it; the listener's heartbeat finds no answer, drops it, says so, listens again on a new
 * connection and asks the worker to look once (onWake(null)); notifications then arrive again.
 */
describe('the wake-up connection gone silent (issue 14)', () => {
  it('is dropped when a heartbeat goes unanswered, and a new connection hears notifications again', async () => {
    const target = new URL(testPostgresUrl());
    const carried = new Set<Socket>();
    let silent = false;
    const relay = createServer((client) => {
      const server = connect(Number(target.port), target.hostname);
      carried.add(client);
      const close = () => {
        client.destroy();
        server.destroy();
      };
      client.on('error', close);
      server.on('error', close);
      // Forwarding stops once `silent` is set: bytes are read and dropped, nothing is closed.
      client.on('data', (chunk) => silent || server.write(chunk));
      server.on('data', (chunk) => silent || client.write(chunk));
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const url = new URL(target);
    url.port = String((relay.address() as { port: number }).port);
    const problems: string[] = [];
    const wakes: Array<number | null> = [];
    const subscription = listenForWakeups(url.toString(), 'public', (at) => wakes.push(at), (message) => problems.push(message), { everyMs: 200, answerWithinMs: 300 });
    const notifier = new pg.Client(testPostgresUrl());
    await notifier.connect();
    try {
      await subscription.ready;
      silent = true;
      await until('the heartbeat to drop the silent connection', async () => problems[0], 5_000);
      expect(problems[0]).toBe('the wake-up connection dropped (no answer to a heartbeat within 300 ms); reconnecting in 50 ms');
      silent = false;
      await until('the listener to listen again', async () => (wakes.includes(null) ? true : undefined), 5_000);
      await notifier.query('select pg_notify($1, $2)', [wakeChannel('public'), '1234']);
      await until('the notification on the new connection', async () => (wakes.includes(1234) ? true : undefined), 5_000);
      expect(wakes).toEqual([null, 1234]);
    } finally {
      await notifier.end();
      await subscription.close();
      for (const socket of carried) socket.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    }
  }, 20_000);
});
