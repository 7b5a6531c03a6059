import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.ts';
import { Scenario } from '../../schemas/scenario.ts';
import { ConnectorCatalog } from '../engine/connector-registry.ts';
import { loadTables } from '../engine/tables.ts';
import { loadRecipes } from '../recipes/load-recipes.ts';
import { runScenario } from './run-scenario.ts';

/**
 * D23: each lead shared appears in exactly one digest (review 7, M1). The digest's window runs from the
 * slot its schedule fired before to its own, so a local-time cron across both DST changes (a 25- and a
 * 23-hour day) puts each lead in one digest. The shipped recipes, with the digest's cron zone set to
 * Europe/Berlin as README "Writing recipes" offers; and, for an upgrade with a digest of version 5 in
 * flight, the version 5 recipe (fixtures/lead-share-digest-v5) with today's email templates.
 */
const here = dirname(fileURLToPath(import.meta.url));
const shipped = resolve(here, '../../recipes');
const v5 = join(here, 'fixtures/lead-share-digest-v5');

async function context(options: { zone?: string; digest?: 'shipped' | 'v5' }) {
  const tables = loadTables(join(shipped, 'tables'));
  const opts = { catalog: new ConnectorCatalog(CONNECTORS), tables: tables.names() };
  let recipes = await loadRecipes(shipped, opts);
  if (options.digest === 'v5') {
    const old = await loadRecipes(v5, opts);
    expect(old.map((r) => `${r.definition.name} v${r.definition.version}`)).toEqual(['lead-share-digest v5']);
    recipes = [...recipes.filter((r) => r.definition.name !== 'lead-share-digest'), ...old];
  }
  if (options.zone) {
    const digest = recipes.find((r) => r.definition.name === 'lead-share-digest')!;
    (digest.definition.trigger as { timezone: string }).timezone = options.zone;
  }
  return { recipes, tables, keepGoing: true };
}

const lead = (name: string, synced: string) => ({ email: `${name}@client.example`, firstName: name, phone: '+49 30 1000', partnerAccountId: 101, partnerSyncedDate: synced, created: synced, updated: synced });

/** Review 7's berlin-digest-dst scenario, with each digest's window and each lead's one digest checked. */
const berlin = {
  name: 'D23: a 07:00 Europe/Berlin digest across both DST changes puts each lead in exactly one digest',
  rules: ['D23'],
  clock: '2026-10-23T12:00:00Z',
  seed: {
    prm: {
      leads: [
        // 05:30Z on 10-24: after that day's 07:00 CEST (05:00Z) digest, before the 25-hour day's 07:00 CET (06:00Z).
        lead('ana', '2026-10-24T05:30:00Z'),
        // 05:30Z on 03-27: before that day's 07:00 CET (06:00Z); the 23-hour day's 07:00 CEST is 05:00Z on 03-28.
        lead('ben', '2027-03-27T05:30:00Z'),
        // 05:30Z on 03-28: after the 03-28 07:00 CEST (05:00Z) digest.
        lead('cleo', '2027-03-28T05:30:00Z'),
      ],
    },
  },
  steps: [
    { set_clock: '2026-10-26T12:00:00Z' },
    {
      expect: {
        emails: [
          { to: 'ops@northwind.example', subject: '1 new lead shared with Northwind Cloud (2026-10-25)', body_contains: ['ana@client.example', 'between 2026-10-24 05:00 and 2026-10-25 06:00 UTC'] },
        ],
        no_other_emails: true,
      },
    },
    { set_clock: '2027-03-26T12:00:00Z' },
    { expect: {} },
    { set_clock: '2027-03-29T12:00:00Z' },
    {
      expect: {
        emails: [
          { to: 'ops@northwind.example', subject: '1 new lead shared with Northwind Cloud (2027-03-27)', body_contains: ['ben@client.example', 'between 2027-03-26 06:00 and 2027-03-27 06:00 UTC'], body_not_contains: 'cleo@client.example' },
          // The 23-hour day: (03-27 06:00Z, 03-28 05:00Z] has no lead, so no email; then Cleo once.
          { to: 'ops@northwind.example', subject: '1 new lead shared with Northwind Cloud (2027-03-29)', body_contains: ['cleo@client.example', 'between 2027-03-28 05:00 and 2027-03-29 05:00 UTC'], body_not_contains: 'ben@client.example' },
        ],
        no_other_emails: true,
      },
    },
  ],
};

describe('D23: digest windows tile time (review 7, M1)', () => {
  it('D23: a Berlin-zone digest across both DST changes puts each lead in exactly one digest, naming its window in UTC', async () => {
    const result = await runScenario(Scenario.parse(berlin), 'berlin-digest-dst.scenario.json', await context({ zone: 'Europe/Berlin' }));
    expect(result.failures).toEqual([]);
  }, 60_000);

  it('D23: the same with version 5 (fixed 24-hour window) drops Ana and sends Ben twice: what version 6 fixes', async () => {
    const result = await runScenario(Scenario.parse(berlin), 'berlin-digest-dst.scenario.json', await context({ zone: 'Europe/Berlin', digest: 'v5' }));
    expect(result.failures.join('\n')).toContain('ana@client.example');
  }, 60_000);

  it('upgrade mid-flight: a digest of version 5 in flight when today\'s templates ship still names its window as version 5 read it (24 hours before 07:00 UTC)', async () => {
    const scenario = {
      name: 'a version 5 digest with the new templates',
      rules: ['D23'],
      clock: '2026-03-02T09:00:00Z',
      seed: { prm: { leads: [lead('ana', '2026-03-02T10:00:00Z')] } },
      steps: [
        { set_clock: '2026-03-03T12:00:00Z' },
        {
          expect: {
            emails: [{ to: 'ops@northwind.example', subject: '1 new lead shared with Northwind Cloud (2026-03-03)', body_contains: 'in the 24 hours before 2026-03-03 07:00 UTC' }],
            no_other_emails: true,
          },
        },
      ],
    };
    const result = await runScenario(Scenario.parse(scenario), 'digest-v5.scenario.json', await context({ digest: 'v5' }));
    expect(result.failures).toEqual([]);
  }, 60_000);
});
