import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WAKE_CONNECTION_SETTINGS } from './wake-connection.ts';
import { listenForWakeups } from './wake-notifications.ts';

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
