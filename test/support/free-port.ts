import { createServer, type Server } from 'node:net';

/** A server listening on a port the system picked on 127.0.0.1, for a test that needs that port taken. */
export function listenOnFreePort(): Promise<Server> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolvePromise(server));
  });
}

/** A loopback port that was free a moment ago, to start a runtime process on. */
export async function freePort(): Promise<number> {
  const server = await listenOnFreePort();
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}
