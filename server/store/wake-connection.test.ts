import { connect, createServer, type Socket } from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import { WAKE_CONNECTION_SETTINGS } from './wake-connection.ts';
import { listenForWakeups, wakeChannel } from './wake-notifications.ts';
import { testPostgresUrl } from '../../test/support/test-postgres.ts';
import { until } from '../../test/support/until.ts';

interface Line {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** The lines an operator would read, level, message and fields. */
function recordingLog(): { log: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: Line['level']) => (fields: object, message = '') => void lines.push({ level, message, fields: fields as Record<string, unknown> });
  return { log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

const DROPPED = 'the wake-up connection (LISTEN) to PostgreSQL dropped; reconnecting with backoff (50 ms doubling to 5 s); meanwhile runs made due are found by the safety poll';

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
    const { log, lines } = recordingLog();
    const subscription = listenForWakeups(`postgres://partnerflow:pw@127.0.0.1:${port}/partnerflow`, 'public', () => {}, { log });
    try {
      await subscription.ready;
      expect(lines[0]).toMatchObject({ level: 'warn', message: DROPPED, fields: { error: expect.stringMatching(/timeout/), reconnectInMs: 50 } });
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
    const { log, lines } = recordingLog();
    const wakes: Array<number | null> = [];
    const subscription = listenForWakeups(url.toString(), 'public', (at) => wakes.push(at), { log, heartbeat: { everyMs: 200, answerWithinMs: 300 } });
    const notifier = new pg.Client(testPostgresUrl());
    await notifier.connect();
    try {
      await subscription.ready;
      silent = true;
      await until('the heartbeat to drop the silent connection', async () => lines[0], 5_000);
      expect(lines[0]).toMatchObject({ level: 'warn', message: DROPPED, fields: { error: 'no answer to a heartbeat within 300 ms', reconnectInMs: 50 } });
      silent = false;
      await until('the listener to listen again', async () => (wakes.includes(null) ? true : undefined), 5_000);
      expect(lines.at(-1)).toMatchObject({ level: 'info', message: expect.stringMatching(/^the wake-up connection \(LISTEN\) to PostgreSQL listens again after \d+ failed connections/) });
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

/**
 * Review 9, finding 4: while PostgreSQL was down the listener logged a line at each reconnect (every
 * 5 s once the backoff is at its longest: 720 lines an hour per replica). The database here is a relay
 * that cuts every connection at once while `down`; the outage's clock is the test's, 20 s a failure, so
 * a few real tries are minutes of outage. The log says it once at warn (the claim loop says a store outage at error), at most a reminder a minute
 * with the count, and once at info when the listener listens again.
 */
describe('the wake-up connection while the database is down (review 9, finding 4)', () => {
  it('logs the outage once when it starts, a reminder at most a minute with the count, and once when it listens again', async () => {
    const target = new URL(testPostgresUrl());
    const carried = new Set<Socket>();
    let down = true;
    let refused = 0;
    const relay = createServer((client) => {
      carried.add(client);
      client.on('error', () => {});
      if (down) {
        refused += 1;
        client.destroy();
        return;
      }
      const server = connect(Number(target.port), target.hostname);
      carried.add(server);
      const close = () => {
        client.destroy();
        server.destroy();
      };
      client.on('error', close);
      server.on('error', close);
      client.pipe(server).pipe(client);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const url = new URL(target);
    url.port = String((relay.address() as { port: number }).port);
    const { log, lines } = recordingLog();
    const wakes: Array<number | null> = [];
    let now = 0;
    const subscription = listenForWakeups(url.toString(), 'public', (at) => wakes.push(at), { log, now: () => (now += 20_000) });
    try {
      // Backoff 50, 100, 200 … 1600 ms: seven tries in about 3 s.
      await until('seven refused tries', async () => (refused >= 7 ? true : undefined), 10_000);
      down = false;
      await until('the listener to listen again', async () => (wakes.includes(null) ? true : undefined), 10_000);

      const failures = lines.at(-1)!.fields.failures as number;
      expect(failures).toBeGreaterThanOrEqual(7);
      expect(lines[0]).toMatchObject({ level: 'warn', message: DROPPED, fields: { reconnectInMs: 50 } });
      expect(lines[0]!.fields.error).toEqual(expect.any(String));
      const reminders = lines.slice(1, -1);
      // 20 s a failure: a reminder at every third, never two within a minute.
      expect(reminders).toHaveLength(Math.floor((failures - 1) / 3));
      for (const [i, line] of reminders.entries()) {
        expect(line).toMatchObject({ level: 'warn', message: 'the wake-up connection (LISTEN) to PostgreSQL still cannot listen; reconnecting', fields: { failures: 3 * i + 4, forMs: (3 * i + 3) * 20_000 } });
      }
      expect(lines.at(-1)).toMatchObject({
        level: 'info',
        message: `the wake-up connection (LISTEN) to PostgreSQL listens again after ${failures} failed connections; the worker looks for due runs once`,
        fields: { failures, forMs: failures * 20_000 },
      });
    } finally {
      await subscription.close();
      for (const socket of carried) socket.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    }
  }, 30_000);
});
