import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnCli } from './support/cli-process.ts';
import { freePort } from './support/free-port.ts';
import { deliverMockSubmission } from './support/mock-prm-delivery.ts';
import { until, untilServing } from './support/until.ts';

/**
 * `serve --mock` twice in a row, as a user follows the README's walkthrough twice: the simulated
 * systems start with the demo data only at every start, and so must the store beside them.
 */
const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'partnerflow-mock-store-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `partnerflow serve --mock` started from `work` (so that ./data/mock.db is the test's own). */
function serveMock(port: number, args: string[] = [], env: Record<string, string> = {}) {
  return spawnCli(['serve', '--mock', '--port', String(port), ...args], {
    cwd: work,
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      PUBLIC_BASE_URL: '',
      RECIPES_DIR: join(root, 'recipes'),
      TABLES_DIR: join(root, 'recipes/tables'),
      EMAIL_TEMPLATES_DIR: join(root, 'recipes/email-templates'),
      ...env,
    },
  });
}

/** Walkthrough step 1 and 2: the PRM delivers MDF-1001; the partner's confirmation is in the mailbox. */
async function walkthroughOnce(base: string): Promise<{ runId: string; confirmations: number }> {
  await untilServing(base, 30_000);
  const delivered = await deliverMockSubmission(base);
  expect(delivered.status).toBe(202);
  const { run_ids: runIds } = (await delivered.json()) as { run_ids: string[] };
  const confirmations = await until('the confirmation email (D7)', async () => {
    const { messages } = (await (await fetch(`${base}/_mock/mailbox?to=marketing%40northwind.example`)).json()) as { messages: Array<{ subject: string }> };
    const count = messages.filter((m) => m.subject.includes('We received your MDF request MDF-1001')).length;
    return count > 0 ? count : undefined;
  }, 30_000);
  return { runId: runIds[0]!, confirmations };
}

describe('serve --mock: the simulated systems and the store start fresh together', () => {
  it('answers the walkthrough a second time with a new run and a new confirmation (D7), never touching PARTNERFLOW_DB', async () => {
    const production = join(work, 'production.db');
    const runs: string[] = [];
    for (const attempt of [1, 2]) {
      const port = await freePort();
      const server = serveMock(port, [], { PARTNERFLOW_DB: production });
      try {
        const { runId, confirmations } = await walkthroughOnce(`http://127.0.0.1:${port}`);
        expect(confirmations, `start ${attempt}`).toBe(1);
        runs.push(runId);
        const run = (await (await fetch(`http://127.0.0.1:${port}/runs/${runId}`)).json()) as { run: { status: string } };
        expect(run.run.status).not.toBe('completed');
        const ready = server.out().split('\n').find((line) => line.includes('partnerflow ready'));
        expect(ready).toContain('an empty store in data/mock.db');
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    }
    expect(runs[1]).not.toBe(runs[0]);
    expect(existsSync(join(work, 'data/mock.db'))).toBe(true);
    expect(existsSync(production)).toBe(false);
  }, 120_000);

  it('refuses a --db that names a store mock mode did not create, and leaves it as it was', async () => {
    const real = join(work, 'real.db');
    writeFileSync(real, 'runs that must survive');
    const server = serveMock(await freePort(), ['--db', real]);
    expect(await server.exited).toBe(1);
    expect(server.err()).toContain('real.db is not a mock-mode store');
    expect(readFileSync(real, 'utf8')).toBe('runs that must survive');
  }, 60_000);
});

describe('serve --mock twice at once: the second never erases the store the first one uses', () => {
  it('refuses to start, naming the other process and --db, and the first keeps its runs and its store files', async () => {
    const firstPort = await freePort();
    const first = serveMock(firstPort);
    try {
      const base = `http://127.0.0.1:${firstPort}`;
      const { runId } = await walkthroughOnce(base);
      const second = serveMock(await freePort());
      // Before the fix the second started (having erased the store): it is stopped after 20 s.
      const stillRunning = setTimeout(() => second.child.kill('SIGTERM'), 20_000);
      const code = await second.exited;
      clearTimeout(stillRunning);
      expect(code).toBe(1);
      expect(second.err()).toContain(`another mock-mode process (pid ${first.child.pid}) uses the store data/mock.db`);
      expect(second.err()).toContain('--db');
      expect(existsSync(join(work, 'data/mock.db'))).toBe(true);
      expect(existsSync(join(work, 'data/mock.db-wal'))).toBe(true);
      // The first still answers from its store: the run is there, and a new delivery is stored too.
      expect((await fetch(`${base}/runs/${runId}`)).status).toBe(200);
      const again = await deliverMockSubmission(base, { delivery_id: 'second-look' });
      expect(((await again.json()) as { run_ids: string[] }).run_ids).toEqual([runId]);
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
    // Its lock went with it: the next start takes the store.
    expect(existsSync(join(work, 'data/mock.db.lock'))).toBe(false);
  }, 120_000);

  it('takes over the lock of a mock-mode process that was killed (its pid is gone)', async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(work, 'data'), { recursive: true });
    writeFileSync(join(work, 'data/mock.db.lock'), '999999999');
    const port = await freePort();
    const server = serveMock(port);
    try {
      await walkthroughOnce(`http://127.0.0.1:${port}`);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 120_000);
});
