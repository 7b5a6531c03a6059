import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { createTestSchema, dropTestSchema } from '../../test/support/test-postgres.ts';
import { newRunId } from '../engine/engine.ts';
import { openPostgresStore } from '../store/postgres-store.ts';

/**
 * `partnerflow run <recipe>` on the production PostgreSQL store (README "Commands": "runs one recipe
 * once") runs that recipe's run, and the runs it starts itself, nothing else: the due runs of the
 * replicas stay queued for them. It used to run until the whole shared database was idle, executing
 * whatever else was due.
 */
const root = resolve(import.meta.dirname, '../..');
let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

const recipe = (name: string, steps: unknown[]) => ({ name, version: 1, description: `${name} (test)`, trigger: { type: 'run' }, steps });

function partnerflowRun(env: Record<string, string>, ...args: string[]) {
  const result = spawnSync(process.execPath, [join(root, 'bin/partnerflow.js'), 'run', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent', ...env }, timeout: 90_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

it('runs the run it started and the runs that run starts, and leaves the other due runs of the shared database queued', async () => {
  const url = await createTestSchema();
  cleanups.push(() => dropTestSchema(url));
  const dir = mkdtempSync(join(tmpdir(), 'partnerflow-run-pg-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'mine.recipe.json'), JSON.stringify(recipe('cli-mine', [{ id: 'child', type: 'action', action: 'runs.start', input: { recipe: 'cli-child', input: { from: 'cli-mine' } } }])));
  writeFileSync(join(dir, 'child.recipe.json'), JSON.stringify(recipe('cli-child', [{ id: 'note', type: 'set', values: { seen: true } }])));
  writeFileSync(join(dir, 'production.recipe.json'), JSON.stringify(recipe('production-work', [{ id: 'note', type: 'set', values: { seen: true } }])));
  writeFileSync(join(dir, 'event.json'), '{}');
  const env = {
    PARTNERFLOW_DATABASE_URL: url,
    PUBLIC_BASE_URL: 'https://partnerflow.acme.test',
    PARTNERFLOW_API_TOKEN: 'a1b2c3d4e5f6a7b8c9d0e1f2',
    APPROVAL_LINK_SECRET: 'f0e1d2c3b4a5968778695a4b3c2d1e0f',
    RECIPES_DIR: dir,
    TABLES_DIR: join(root, 'recipes/tables'),
    PARTNERFLOW_WORKER_ID: 'ops-laptop',
  };

  // The replicas' work: three runs of another recipe, due now, not yet claimed by any replica.
  const store = await openPostgresStore({ url, poolSize: 2 });
  cleanups.push(() => store.close());
  expect(partnerflowRun(env, 'cli-child', '--event', join(dir, 'event.json')).code).toBe(0); // stores the recipes' versions
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  cleanups.push(() => admin.end());
  const { rows } = await admin.query<{ hash: string }>(`select hash from recipe_versions where name = 'production-work'`);
  for (let i = 0; i < 3; i++) {
    const now = Date.now();
    await store.createRun({
      id: newRunId(now), recipe: 'production-work', recipeVersion: 1, recipeHash: rows[0]!.hash,
      trigger: { type: 'run', receivedAt: now, data: { i } }, dedupKey: `production-${i}`, correlationKey: null, cancelOnEvent: null, wakeAt: now, createdAt: now,
    });
  }

  const { code, out, err } = partnerflowRun(env, 'cli-mine', '--event', join(dir, 'event.json'));
  expect(err).toContain('completed');
  expect(code).toBe(0);
  const shown = JSON.parse(out) as { run: { id: string; status: string } };
  expect(shown.run.status).toBe('completed');

  const runs = (await admin.query<{ recipe: string; status: string }>('select recipe, status from runs order by recipe, id')).rows;
  expect(runs.filter((r) => r.recipe === 'production-work')).toEqual([
    { recipe: 'production-work', status: 'queued' },
    { recipe: 'production-work', status: 'queued' },
    { recipe: 'production-work', status: 'queued' },
  ]);
  // Its own child, started by its runs.start step, ran to the end with it.
  expect(runs.filter((r) => r.recipe === 'cli-child').map((r) => r.status)).toEqual(['completed', 'completed']);
  expect(runs.filter((r) => r.recipe === 'cli-mine').map((r) => r.status)).toEqual(['completed']);
}, 180_000);
