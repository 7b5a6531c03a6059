import { connect, createServer, type Server, type Socket } from 'node:net';
import { NOT_AS_ASSUMED } from '../../server/store/postgres-one-statement-commit.ts';

/**
 * A TCP relay on loopback between a store and the test PostgreSQL server, to put the network between
 * them in the states an outage takes: `pass` (healthy), `blackhole` (a partition: connections are
 * accepted and never answered, as when packets are dropped), `refuse` (the server is down: every
 * connection is closed at once). `cut()` drops the connections open now; `loseNextCommitAnswer()` lets
 * the next commit reach the server and drops its answer with the connection (the server or the network
 * went away after the commit was applied: its outcome is unknown to the store). A commit is a `COMMIT`
 * or the store's group commit as one autocommit statement (postgres-one-statement-commit.ts).
 */
export interface PostgresRelay {
  /** The URL to give the store: the server's, with the relay's port. */
  url: string;
  mode: 'pass' | 'blackhole' | 'refuse';
  cut(): void;
  loseNextCommitAnswer(): void;
  /** COMMITs whose answer the relay dropped. */
  commitsLost: number;
  /** Transactions the store opened (`BEGIN`), and group commits it sent as one statement, through the relay. */
  seen: { begins: number; groupCommitStatements: number };
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
  // The statements (by name; '' the unnamed one) that are the group commit as one statement, per connection.
  const clientMessages = (onMessage: (message: Buffer) => void) => {
    let pending = Buffer.alloc(0);
    // The startup message (and an SSL request before it) has no type byte.
    let untyped = true;
    return (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const head = untyped ? 0 : 1;
        if (pending.length < head + 4) return;
        const size = head + pending.readInt32BE(head);
        if (pending.length < size) return;
        const message = pending.subarray(0, size);
        pending = pending.subarray(size);
        if (untyped) untyped = message.readInt32BE(4) === SSL_REQUEST_CODE;
        else onMessage(message);
      }
    };
  };
  const server: Server = createServer((client) => {
    track(client);
    if (relay.mode === 'refuse') return void client.destroy();
    if (relay.mode === 'blackhole') return;
    const up = connect(Number(target.port), target.hostname);
    track(up);
    let commitSent = false;
    const groupCommits = new Set<string>();
    // A simple-protocol Query ('Q') whose text is `commit` (Kysely's commitTransaction), or the Bind ('B')
    // of a statement whose Parse ('P') was the one-statement group commit.
    const isCommit = (message: Buffer): boolean => {
      const [first, second] = cStrings(message.subarray(5));
      if (message[0] === 0x51) return /^commit$/i.test(first ?? '');
      if (message[0] === 0x50) {
        if (second?.includes(NOT_AS_ASSUMED)) groupCommits.add(first ?? '');
        else groupCommits.delete(first ?? '');
      }
      return message[0] === 0x42 && groupCommits.has(second ?? '');
    };
    const end = () => {
      client.destroy();
      up.destroy();
    };
    client.on('close', end);
    up.on('close', end);
    const messages = clientMessages((message) => {
      if (message[0] === 0x51 && /^begin\0/i.test(message.subarray(5).toString('latin1'))) relay.seen.begins++;
      // Read whether armed or not: the group commit's statement was prepared by an earlier message.
      const commit = isCommit(message);
      if (commit && message[0] === 0x42) relay.seen.groupCommitStatements++;
      if (commit && loseCommit) {
        loseCommit = false;
        commitSent = true;
      }
    });
    client.on('data', (chunk: Buffer) => {
      messages(chunk);
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
    seen: { begins: 0, groupCommitStatements: 0 },
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

/** The code of SSLRequest, an untyped message a client may send before its startup message. */
const SSL_REQUEST_CODE = 80877103;

/** The first two NUL-terminated strings of a message's body. */
function cStrings(body: Buffer): [string | undefined, string | undefined] {
  const end1 = body.indexOf(0);
  if (end1 < 0) return [undefined, undefined];
  const end2 = body.indexOf(0, end1 + 1);
  return [body.subarray(0, end1).toString('utf8'), end2 < 0 ? undefined : body.subarray(end1 + 1, end2).toString('utf8')];
}
