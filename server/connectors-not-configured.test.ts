import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../connectors/index.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createRuntime, type Runtime } from './runtime.ts';
import { configErrorWithUnconfiguredConnectors } from './start-problems.ts';

/**
 * A deployment sets the variables of the connectors its recipes use, and no others: a connector none of
 * whose variables is set is "not configured", and only a recipe that uses it stops the start.
 */

/** A production deployment of the shipped recipes: PRM, Salesforce, email, approvals; no Marketo. */
const PRODUCTION = {
  PUBLIC_BASE_URL: 'https://partnerflow.acme.test',
  PARTNERFLOW_API_TOKEN: 'a-token-of-at-least-16-chars',
  APPROVAL_LINK_SECRET: 'an-approval-link-secret-of-40-characters!',
  WEBHOOK_SECRET_PRM: 'a-prm-webhook-secret-0123456789',
  PRM_BASE_URL: 'https://prm.acme.test/api/objects/v1',
  PRM_API_KEY: 'prm-key',
  PRM_TENANT_ID: '7',
  PRM_CLAIM_PORTAL_URL: 'https://partners.acme.test/mdf/claims/{id}',
  SALESFORCE_LOGIN_URL: 'https://acme.my.salesforce.com',
  SALESFORCE_CLIENT_ID: 'sf-client',
  SALESFORCE_CLIENT_SECRET: 'sf-secret',
  EMAIL_API_URL: 'https://api.postmarkapp.com',
  EMAIL_SERVER_TOKEN: 'email-token',
  EMAIL_FROM: 'Partner Marketing <mdf@acme.test>',
};
const MARKETO = ['MARKETO_BASE_URL', 'MARKETO_CLIENT_ID', 'MARKETO_CLIENT_SECRET'];

let runtime: Runtime | undefined;
let dir: string | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const production = (env: Record<string, string | undefined>) => loadConfig(env, { mock: false, connectors: CONNECTORS, overrides: { dbPath: ':memory:', logLevel: 'silent' } });

/** What the start says: '' when it starts, else the refusal's message. */
async function start(env: Record<string, string | undefined>): Promise<string> {
  try {
    runtime = await createRuntime({ config: production(env) });
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

/** RECIPES_DIR with these recipe files (and the shipped tables), as a deployment would have it. */
function recipesDir(files: Record<string, unknown>): Record<string, string> {
  dir = mkdtempSync(join(tmpdir(), 'partnerflow-unconfigured-'));
  for (const [name, recipe] of Object.entries(files)) writeFileSync(join(dir, name), JSON.stringify(recipe, null, 2));
  return { RECIPES_DIR: dir, TABLES_DIR: resolve('recipes/tables') };
}

/** A deployment of the MDF recipes without the lead ones: RECIPES_DIR with copies of recipes/mdf-*. */
function mdfRecipesOnly(): Record<string, string> {
  dir = mkdtempSync(join(tmpdir(), 'partnerflow-mdf-only-'));
  for (const folder of ['mdf-requests', 'mdf-claims', 'mdf-sync']) cpSync(resolve('recipes', folder), join(dir, folder), { recursive: true, filter: (f) => !f.endsWith('.scenario.json') && !f.endsWith('.test.ts') });
  return { RECIPES_DIR: dir, TABLES_DIR: resolve('recipes/tables'), EMAIL_TEMPLATES_DIR: resolve('recipes/email-templates') };
}

const leadSync = (steps: unknown[], extra: object = {}) => ({
  name: 'lead-sync',
  version: 1,
  description: 'Sends approved partners to Marketo.',
  trigger: { type: 'webhook', event: 'prm.mdf_request.submitted' },
  steps,
  ...extra,
});
const upsertLeads = { id: 'upsert', type: 'action', action: 'marketo.upsert_leads', input: { leads: [{ email: '{% data.mdfNumber %}' }] } };
const note = (id: string) => ({ id, type: 'set', values: { seen: true } });

describe('connectors a deployment does not use', () => {
  it('names the shipped lead recipes, which use Marketo, when no MARKETO_ variable is set', async () => {
    const lines = (await start(PRODUCTION)).split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(new RegExp(`recipes/leads/[a-z-]+\\.recipe\\.json: \\S+ uses marketo.*, which is not configured: set ${MARKETO.join(', ')}$`));
  });

  it('starts in production without Marketo when its recipes do not use it (the MDF recipes only); Marketo is not connected', async () => {
    expect(await start({ ...PRODUCTION, ...mdfRecipesOnly() })).toBe('');
    expect(runtime!.engine.recipes.list().map((r) => r.definition.name)).toContain('mdf-request-approval');
    expect(runtime!.config.notConfigured).toEqual({ marketo: MARKETO });
    expect(runtime!.config.connectors).not.toHaveProperty('marketo');
  });

  it('refuses a half-configured connector at start, naming each missing variable', () => {
    let error: unknown;
    try {
      production({ ...PRODUCTION, MARKETO_BASE_URL: 'https://987-XYZ-321.mktorest.com' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(['MARKETO_CLIENT_ID: required by the marketo connector', 'MARKETO_CLIENT_SECRET: required by the marketo connector']);
  });

  it('refuses a connector with only a limit set, and a bad value of a half-configured one, by name', () => {
    const problems = (env: Record<string, string>) => {
      try {
        production({ ...PRODUCTION, ...env });
        return [];
      } catch (e) {
        return (e as ConfigError).problems;
      }
    };
    expect(problems({ MARKETO_MAX_CONCURRENT: '4' })).toEqual(MARKETO.map((v) => `${v}: required by the marketo connector`));
    expect(problems({ MARKETO_BASE_URL: 'not a url', MARKETO_CLIENT_ID: 'id', MARKETO_CLIENT_SECRET: 'secret' })).toEqual([expect.stringMatching(/^MARKETO_BASE_URL: /)]);
  });

  it('refuses a recipe that uses marketo.upsert_leads while Marketo is not configured, naming the file, the first use and the variables', async () => {
    const env = recipesDir({ 'x.recipe.json': leadSync([note('a'), note('b'), upsertLeads, { ...upsertLeads, id: 'again' }]) });
    const file = join(dir!, 'x.recipe.json');
    expect(await start({ ...PRODUCTION, ...env })).toBe(`${file}: steps[2].action uses marketo, which is not configured: set MARKETO_BASE_URL, MARKETO_CLIENT_ID, MARKETO_CLIENT_SECRET`);
    // Configured, the same recipe starts.
    expect(await start({ ...PRODUCTION, ...env, MARKETO_BASE_URL: 'https://987-XYZ-321.mktorest.com', MARKETO_CLIENT_ID: 'id', MARKETO_CLIENT_SECRET: 'secret' })).toBe('');
  });

  it('finds a use nested in an action on_error, in the recipe on_error, and in a foreach, one line per recipe', async () => {
    const env = recipesDir({
      'a.recipe.json': leadSync([{ id: 'sync', type: 'action', action: 'prm.get_mdf_request', input: { mdf_number: 'MDF-1' }, on_error: { steps: [upsertLeads] } }]),
      'b.recipe.json': { ...leadSync([note('only')], { on_error: { steps: [upsertLeads] } }), name: 'lead-sync-b' },
      'c.recipe.json': { ...leadSync([{ id: 'each', type: 'foreach', items: '{% [1, 2] %}', steps: [upsertLeads] }]), name: 'lead-sync-c' },
    });
    const message = await start({ ...PRODUCTION, ...env });
    expect(message.split('\n')).toEqual([
      `${join(dir!, 'a.recipe.json')}: steps[0].on_error.steps[0].action uses marketo, which is not configured: set ${MARKETO.join(', ')}`,
      `${join(dir!, 'b.recipe.json')}: on_error.steps[0].action uses marketo, which is not configured: set ${MARKETO.join(', ')}`,
      `${join(dir!, 'c.recipe.json')}: steps[0].steps[0].action uses marketo, which is not configured: set ${MARKETO.join(', ')}`,
    ]);
  });

  it('names the shipped recipes that need PRM, with its webhook secret, when neither is set', async () => {
    const marketo = { MARKETO_BASE_URL: 'https://987-XYZ-321.mktorest.com', MARKETO_CLIENT_ID: 'mkto-client', MARKETO_CLIENT_SECRET: 'mkto-secret' };
    const withoutPrm = Object.fromEntries(Object.entries({ ...PRODUCTION, ...marketo }).filter(([k]) => !k.startsWith('PRM_') && k !== 'WEBHOOK_SECRET_PRM'));
    const lines = (await start(withoutPrm)).split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/mdf-request-approval\.recipe\.json: trigger\.event uses prm, which is not configured: set PRM_BASE_URL, PRM_API_KEY, PRM_TENANT_ID, WEBHOOK_SECRET_PRM$/));
    // The mdf connector's one setting is a PRM address too (the claim's portal page, D2).
    for (const line of lines) expect(line).toMatch(/\.recipe\.json: \S+ uses (prm\b.*, which is not configured: set PRM_BASE_URL, PRM_API_KEY, PRM_TENANT_ID|mdf, which is not configured: set PRM_CLAIM_PORTAL_URL$)/);
  });

  it('needs the webhook secret of a source a recipe listens to, and only then', async () => {
    const { WEBHOOK_SECRET_PRM: _, ...noSecret } = PRODUCTION;
    const lines = (await start(noSecret)).split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/mdf-request-approval\.recipe\.json: trigger\.event listens to prm webhooks, whose secret is not set: set WEBHOOK_SECRET_PRM$/));
    // Recipes that only poll Salesforce need no PRM webhook.
    expect(lines.join('\n')).not.toContain('changes-from-salesforce');
    // A deployment whose recipes listen to no PRM webhook starts without it; its webhooks are refused.
    const env = recipesDir({ 'x.recipe.json': { ...leadSync([note('a')]), trigger: { type: 'schedule', cron: '0 8 * * 1-5' } } });
    expect(await start({ ...noSecret, ...env })).toBe('');
    const delivery = await runtime!.app.request('/webhooks/prm', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(delivery.status).toBe(404);
  });

  it('counts the connectors an action calls through its own: approval.request needs email', async () => {
    const withoutEmail = Object.fromEntries(Object.entries(PRODUCTION).filter(([k]) => !k.startsWith('EMAIL_')));
    const lines = (await start(withoutEmail)).split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/mdf-request-approval\.recipe\.json: steps\[\S+\.action uses email, which is not configured: set EMAIL_API_URL, EMAIL_SERVER_TOKEN, EMAIL_FROM \(or EMAIL_SMTP_URL for an SMTP relay instead of EMAIL_API_URL and EMAIL_SERVER_TOKEN\)$/));
    const env = recipesDir({
      'x.recipe.json': {
        ...leadSync([{ id: 'ask', type: 'action', action: 'approval.request', input: { approver: { email: 'cmm@vendor.example' }, template: 'mdf-approval-request', signal: 'decision', subject: 'MDF', data: {} } }, { id: 'decision', type: 'wait_for', signal: 'decision', timeout: 'P2D' }]),
      },
    });
    expect(await start({ ...withoutEmail, ...env })).toMatch(/x\.recipe\.json: steps\[0\]\.action uses email \(approval\.request calls it\), which is not configured: set EMAIL_API_URL, EMAIL_SERVER_TOKEN, EMAIL_FROM \(or EMAIL_SMTP_URL for an SMTP relay instead of EMAIL_API_URL and EMAIL_SERVER_TOKEN\)$/);
  });

  it('keeps APPROVAL_LINK_SECRET required at every start: the HTTP layer checks approval links (D10)', () => {
    const { APPROVAL_LINK_SECRET: _, ...env } = PRODUCTION;
    expect(() => production(env)).toThrow('APPROVAL_LINK_SECRET: required by the approval connector');
  });

  it('configures every connector in mock mode, as before', () => {
    const config = loadConfig({}, { mock: true, connectors: CONNECTORS });
    expect(config.notConfigured).toEqual({});
    expect(Object.keys(config.connectors).sort()).toEqual(CONNECTORS.map((c) => c.name).sort());
    expect(config.webhookSecrets).toHaveProperty('prm');
  });
});

/**
 * Review 9 finding 5: a start with a bad setting named only the settings, and the connectors the
 * recipes lack came at the next start, once those were fixed. One start names both.
 */
describe('a start whose settings have problems', () => {
  /** What serve prints when the configuration is refused. */
  const refusal = async (env: Record<string, string | undefined>): Promise<string> => {
    try {
      production(env);
      return '';
    } catch (error) {
      return configErrorWithUnconfiguredConnectors(error as ConfigError);
    }
  };

  it('names the settings and, in the same message, the connectors the recipes it would serve use and lack', async () => {
    const { PUBLIC_BASE_URL: _, ...env } = PRODUCTION;
    const message = await refusal({ ...env, PARTNERFLOW_LEASE_MS: '10' });
    const lines = message.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'configuration is not valid:',
      '  - PARTNERFLOW_LEASE_MS: at least 2000 (a turn renews its lease every third of it, and a renewal waiting on a busy database must not let it lapse) (got "10")',
      '  - PUBLIC_BASE_URL: required (the base URL approval links point to: https://<host>[:<port>][/<path>] (or http://))',
    ]);
    expect(lines[3]).toBe('recipes use connectors that are not configured:');
    // The shipped lead recipes use Marketo, which this deployment has not configured.
    expect(lines.length).toBeGreaterThan(4);
    for (const line of lines.slice(4)) expect(line).toMatch(new RegExp(`^  - .*recipes/leads/[a-z-]+\\.recipe\\.json: \\S+ uses marketo.*, which is not configured: set ${MARKETO.join(', ')}$`));
  });

  it('a webhook secret given but refused is named once, as a setting, not also as a secret not set', async () => {
    const message = await refusal({ ...PRODUCTION, ...mdfRecipesOnly(), WEBHOOK_SECRET_PRM: 'too-short' });
    expect(message).toBe('configuration is not valid:\n  - WEBHOOK_SECRET_PRM: must be at least 16 characters');
  });

  it('says the settings alone when the recipes lack nothing', async () => {
    const message = await refusal({ ...PRODUCTION, ...mdfRecipesOnly(), PARTNERFLOW_API_TOKEN: 'short' });
    expect(message).toBe('configuration is not valid:\n  - PARTNERFLOW_API_TOKEN: must be at least 16 characters');
  });
});
