import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay on loopback between a store and the test PostgreSQL server, to put the network between
 * them in the states an outage takes: `pass` (healthy), `blackhole` (a partition: connections are
 * accepted and never answered, as when packets are dropped), `refuse` (the server is down: every
 * connection is closed at once). `cut()` drops the connections open now; `loseNextCommitAnswer()` lets
 * the next COMMIT reach the server and drops its answer with the connection (the server or the network
 * went away after the commit was applied: its outcome is unknown to the store).
 */
export interface PostgresRelay {
  /** The URL to give the store: the server's, with the relay's port. */
  url: string;
  mode: 'pass' | 'blackhole' | 'refuse';
  cut(): void;
  loseNextCommitAnswer(): void;
  /** COMMITs whose answer the relay dropped. */
  commitsLost: number;
  close(): Promise<void>;
}

export async function startPostgresRelay(serverUrl: string): Promise<PostgresRelay> {
  const target = new URL(serverUrl);
  const sockets = new Set<Socket>();
  let loseCommit = false;
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  };
  const server: Server = createServer((client) => {
    track(client);
    if (relay.mode === 'refuse') return void client.destroy();
    if (relay.mode === 'blackhole') return;
    const up = connect(Number(target.port), target.hostname);
    track(up);
    let commitSent = false;
    const end = () => {
      client.destroy();
      up.destroy();
    };
    client.on('close', end);
    up.on('close', end);
    client.on('data', (chunk: Buffer) => {
      // A simple-protocol Query ('Q') whose text is `commit` (Kysely's commitTransaction).
      if (loseCommit && chunk[0] === 0x51 && /^commit\0/i.test(chunk.subarray(5).toString('latin1'))) {
        loseCommit = false;
        commitSent = true;
      }
      if (relay.mode === 'pass') up.write(chunk);
    });
    up.on('data', (chunk: Buffer) => {
      if (commitSent) {
        // The server has answered the COMMIT (so it is applied): the answer never arrives.
        relay.commitsLost++;
        return end();
      }
      if (relay.mode === 'pass') client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = new URL(serverUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as { port: number }).port);
  const relay: PostgresRelay = {
    url: url.toString(),
    mode: 'pass',
    commitsLost: 0,
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    loseNextCommitAnswer: () => {
      loseCommit = true;
    },
    close: async () => {
      relay.cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return relay;
}
