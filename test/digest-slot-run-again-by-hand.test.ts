import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../connectors/index.ts';
import type { Logger } from '../connectors/kit/define-connector.ts';
import { createSimulatedSystems } from '../mocks/simulated-systems.ts';
import { loadConfig } from '../server/config.ts';
import { advanceTime } from '../server/engine/advance-time.ts';
import { systemClock, VirtualClock } from '../server/engine/clock.ts';
import { createRuntime } from '../server/runtime.ts';
import { spawnCli } from './support/cli-process.ts';
import { serveSimulatedSystems } from './support/simulated-systems-server.ts';

/**
 * D23 through the binary: `partnerflow run lead-share-digest --event '{"scheduled_at": …}'` run by
 * hand for a slot the schedule already fired (ops re-running a morning they believe went wrong) fills
 * `previous_scheduled_at` from the store, as the schedule had it, so the run is that slot's run: the
 * same window and the same once_per keys, and no partner gets a second digest. Without that fill the
 * hand run read the 24 hours before and keyed by day, and every partner told that morning got the
 * same leads again.
 *
 * The schedule's runs are made by a runtime in this process on a virtual clock (production mode, a
 * SQLite file store, the simulated systems served on loopback); the hand run is the CLI, in its own
 * process, on the same store and systems. Only the shipped digest recipe is served (a RECIPES_DIR of
 * its own), with the shipped tables and templates.
 */
const root = resolve(import.meta.dirname, '..');
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const NORTHWIND = 'ops@northwind.example';

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

const lead = (name: string, synced: string) => ({ email: `${name}@client.example`, firstName: name, phone: '+49 30 1000', partnerAccountId: 101, partnerSyncedDate: synced, created: synced, updated: synced });

describe('partnerflow run lead-share-digest --event, for a slot the schedule fired', () => {
  it('D23: the slot run again by hand sends no partner a second digest: it reads the previous slot from the store (same window, same once_per keys)', async () => {
    const systems = createSimulatedSystems({ clock: systemClock });
    systems.seed({ prm: { leads: [lead('bob', '2026-03-01T10:00:00Z'), lead('ana', '2026-03-02T10:00:00Z')] } });
    const sim = await serveSimulatedSystems(systems);
    cleanups.push(() => sim.close());
    const dir = mkdtempSync(join(tmpdir(), 'partnerflow-digest-by-hand-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const recipes = join(dir, 'recipes');
    mkdirSync(recipes);
    copyFileSync(join(root, 'recipes/leads/lead-share-digest.recipe.json'), join(recipes, 'lead-share-digest.recipe.json'));
    const env: Record<string, string> = {
      ...sim.env,
      RECIPES_DIR: recipes,
      TABLES_DIR: join(root, 'recipes/tables'),
      EMAIL_TEMPLATES_DIR: join(root, 'recipes/email-templates'),
      PARTNERFLOW_DB: join(dir, 'store.db'),
      PUBLIC_BASE_URL: 'https://partnerflow.acme.test',
      PARTNERFLOW_API_TOKEN: 'a1b2c3d4e5f6a7b8c9d0e1f2',
      APPROVAL_LINK_SECRET: 'f0e1d2c3b4a5968778695a4b3c2d1e0f',
      LOG_LEVEL: 'silent',
    };
    const digests = () => systems.email.messages().filter((m) => m.to.includes(NORTHWIND)).map((m) => ({ subject: m.subject, text: m.text }));

    // The schedule fires 03-02 07:00 (its first slot) and 03-03 07:00.
    const clock = new VirtualClock('2026-03-02T06:30:00Z');
    const serving = await createRuntime({ config: loadConfig(env, { mock: false, connectors: CONNECTORS }), log: quiet, clock });
    await advanceTime(serving.engine, clock, Date.parse('2026-03-03T08:00:00Z') - clock.now());
    await serving.close();
    const scheduled = digests();
    expect(scheduled.map((m) => m.subject)).toEqual(['1 new lead shared with Northwind Cloud (2026-03-02)', '1 new lead shared with Northwind Cloud (2026-03-03)']);
    expect(scheduled[1]!.text).toContain('ana@client.example');
    expect(scheduled[1]!.text).toContain('between 2026-03-02 07:00 and 2026-03-03 07:00 UTC');

    // Ops run the 03-03 slot again by hand.
    const event = join(dir, 'event.json');
    writeFileSync(event, JSON.stringify({ scheduled_at: '2026-03-03T07:00:00Z' }));
    const cli = spawnCli(['run', 'lead-share-digest', '--event', event], { cwd: root, env: { ...process.env, ...env } });
    const code = await cli.exited;
    expect({ code, err: cli.err() }).toMatchObject({ code: 0 });
    // The partner's mailbox has nothing new, nor has anyone else's.
    expect(digests()).toEqual(scheduled);
    expect(systems.email.messages()).toHaveLength(2);
    // What the command prints: the slot's run, with the slot before it read from the store, and its
    // digest already sent.
    const shown = JSON.parse(cli.out()) as { run: { status: string; trigger: { data: Record<string, unknown> } }; journal: Array<{ stepKey: string; status: string; output: Record<string, unknown> | null }> };
    expect(shown.run).toMatchObject({ status: 'completed', trigger: { data: { scheduled_at: '2026-03-03T07:00:00.000Z', previous_scheduled_at: '2026-03-02T07:00:00.000Z' } } });
    expect(shown.journal.find((e) => e.stepKey === 'each_partner[0].send_digest')).toMatchObject({ status: 'completed', output: { already_sent: true, subject: '1 new lead shared with Northwind Cloud (2026-03-03)' } });
  }, 180_000);
});
