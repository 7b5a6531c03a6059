import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnCli } from './support/cli-process.ts';
import { freePort, listenOnFreePort } from './support/free-port.ts';
import { deliverMockSubmission } from './support/mock-prm-delivery.ts';
import { until, untilServing } from './support/until.ts';

/** `partnerflow serve` as a user starts it, for what only the process shows: its port and its refusals. */
const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'partnerflow-serve-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Starts `serve --mock` with the arguments; resolves with the process once it answers, or with its exit. */
function serve(args: string[]) {
  return spawnCli(['serve', '--mock', '--db', join(work, `${Date.now()}.db`), ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'silent', PORT: '', PUBLIC_BASE_URL: '' },
  });
}

describe('partnerflow serve', () => {
  it('puts the --port it listens on into the approval links it emails', async () => {
    const port = await freePort();
    const server = serve(['--port', String(port)]);
    try {
      const base = `http://127.0.0.1:${port}`;
      await untilServing(base, 30_000);
      const delivered = await deliverMockSubmission(base);
      expect(delivered.status).toBe(202);
      const approvalEmail = await until('the approval email', async () => {
        const mailbox = await (await fetch(`${base}/_mock/mailbox?to=cmm.emea%40vendor.example`)).text();
        return mailbox.includes('/approvals/') ? mailbox : undefined;
      }, 30_000);
      const links = approvalEmail.match(/https?:\/\/[^\s"\\]*\/approvals\/[^\s"\\]*/g) ?? [];
      expect(links.length).toBeGreaterThan(0);
      for (const link of links) expect(link.startsWith(`${base}/approvals/`)).toBe(true);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 60_000);

  it('refuses an empty flag instead of falling back to the default database', async () => {
    const server = serve(['--db', '']);
    expect(await server.exited).toBe(2);
    expect(server.err()).toContain('--db needs a value');
  }, 60_000);

  it('says the port is taken, without a stack trace, and exits 1', async () => {
    const taken = await listenOnFreePort();
    const { port } = taken.address() as { port: number };
    try {
      const server = serve(['--port', String(port)]);
      expect(await server.exited).toBe(1);
      expect(server.err()).toContain(`127.0.0.1:${port} is already in use`);
      expect(server.err()).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise((r) => taken.close(r));
    }
  }, 60_000);
});
