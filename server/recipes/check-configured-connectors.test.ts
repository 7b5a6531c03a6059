import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAction, defineConnector, defineEvent } from '../../connectors/kit/define-connector.ts';
import { Recipe, type RecipeInput } from '../../schemas/recipe.ts';
import { ConnectorCatalog } from '../engine/connector-registry.ts';
import { formatProblem } from './recipe-problem.ts';
import { checkConfiguredConnectors } from './check-configured-connectors.ts';

/** A system with a poll action and events, and a local connector whose action calls it. */
const crm = defineConnector({
  name: 'crm',
  description: 'a CRM',
  config: z.object({ url: z.string() }),
  env: { url: 'CRM_URL' },
  connect: () => ({}),
  actions: {
    changes: defineAction({ description: 'changes', input: z.object({}), output: z.object({}), run: async () => ({}) }),
  },
  events: { lead: defineEvent({ description: 'a lead', data: z.object({ id: z.string() }), correlate: (d) => d.id }) },
});
const local = defineConnector({
  name: 'local',
  description: 'rules',
  config: z.object({}),
  env: {},
  connect: () => ({}),
  actions: { sync: defineAction({ description: 'syncs to the CRM', input: z.object({}), output: z.object({}), uses: ['crm'], run: async () => ({}) }) },
});
const catalog = new ConnectorCatalog([crm, local]);
const notConfigured: { notConfigured: Record<string, string[]>; webhookSecrets: Record<string, string> } = { notConfigured: { crm: ['CRM_URL'] }, webhookSecrets: {} };

const lines = (recipe: Omit<RecipeInput, 'name' | 'version' | 'description'>, config = notConfigured) =>
  checkConfiguredConnectors(Recipe.parse({ name: 'lead-rules', version: 1, description: 'd', ...recipe }), 'r.recipe.json', catalog, config).map(formatProblem);
const stop = [{ id: 'done', type: 'stop' }] as const;

describe('a recipe that uses a connector this runtime has not configured', () => {
  it('is found at a poll action', () => {
    expect(lines({ trigger: { type: 'poll', action: 'crm.changes', every: 'PT5M', cursor: '{% item.at %}', dedup_key: '{% item.id %}' }, steps: [...stop] })).toEqual([
      'r.recipe.json: trigger.action uses crm, which is not configured: set CRM_URL',
    ]);
  });

  it('is found at a timer record event and a stop_on event, with the webhook secret to set', () => {
    expect(lines({ trigger: { type: 'timer', record: ['crm.lead'], key: '{% data.id %}', date: '{% data.at %}', offsets: [2] }, steps: [...stop] })).toEqual([
      'r.recipe.json: trigger.record[0] uses crm, which is not configured: set CRM_URL, WEBHOOK_SECRET_CRM',
    ]);
  });

  it('is found at cancel_on and at a wait_for event, the first use named once', () => {
    const recipe = {
      trigger: { type: 'schedule', cron: '0 8 * * 1-5' },
      cancel_on: { event: 'crm.lead' },
      steps: [{ id: 'wait', type: 'wait_for', event: { name: 'crm.lead', key: '{% trigger.data.id %}' } }],
    } as const;
    expect(lines(recipe)).toEqual(['r.recipe.json: cancel_on.event uses crm, which is not configured: set CRM_URL, WEBHOOK_SECRET_CRM']);
    expect(lines({ ...recipe, cancel_on: undefined })).toEqual(['r.recipe.json: steps[0].event.name uses crm, which is not configured: set CRM_URL, WEBHOOK_SECRET_CRM']);
  });

  it('is found through an action that calls it, in a wait_for on_timeout', () => {
    const recipe = {
      trigger: { type: 'run' },
      steps: [{ id: 'wait', type: 'wait_for', signal: 'go', timeout: 'P1D', on_timeout: [{ id: 'sync', type: 'action', action: 'local.sync' }] }],
    } as const;
    expect(lines(recipe)).toEqual(['r.recipe.json: steps[0].on_timeout[0].action uses crm (local.sync calls it), which is not configured: set CRM_URL']);
  });

  it('finds nothing once the connector and its webhook secret are configured (mock mode, or a deployment that set them)', () => {
    const recipe = { trigger: { type: 'webhook', event: 'crm.lead' }, steps: [{ id: 'sync', type: 'action', action: 'local.sync' }] } as const;
    expect(lines(recipe, { notConfigured: {}, webhookSecrets: { crm: 'a-crm-webhook-secret-0123' } })).toEqual([]);
    expect(lines(recipe, { notConfigured: {}, webhookSecrets: {} })).toEqual(['r.recipe.json: trigger.event listens to crm webhooks, whose secret is not set: set WEBHOOK_SECRET_CRM']);
  });
});

describe('the connection registry', () => {
  it('does not connect a connector that is not configured, and says so should an action of it ever be resolved', () => {
    const connected: string[] = [];
    const spy = (name: string) => defineConnector({ name, description: name, config: z.object({}), env: {}, connect: () => connected.push(name), actions: { go: defineAction({ description: 'go', input: z.object({}), output: z.object({}), run: async () => ({}) }) } });
    const connectors = new ConnectorCatalog([spy('crm'), spy('local')]).connect(
      {},
      { clock: { now: () => 0 } as never, log: { debug() {}, info() {}, warn() {}, error() {} }, store: {} as never, publicBaseUrl: 'http://localhost:3000', timezone: 'UTC' },
      { crm: ['CRM_URL'] },
    );
    expect(connected).toEqual(['local']);
    expect(() => connectors.resolve('crm.go')).toThrow('crm.go: the crm connector is not configured (set CRM_URL)');
    expect(connectors.resolve('local.go').name).toBe('local.go');
  });
});
