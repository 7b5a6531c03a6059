import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Recipe } from '../../schemas/recipe.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { ConnectorCatalog } from '../../server/engine/connector-registry.ts';
import { Engine } from '../../server/engine/engine.ts';
import { LeaseLostError } from '../../server/engine/errors.ts';
import { asRunId, type RunId } from '../../server/engine/ids.ts';
import { loadedRecipe, RecipeSet } from '../../server/engine/recipe-set.ts';
import { createTables } from '../../server/engine/tables.ts';
import { openSqliteStore } from '../../server/store/sqlite-store.ts';
import type { Store } from '../../server/store/store.ts';
import { fakeConnector, FakeSystem, recipeWith, silentLog } from '../../test/support/engine-fixture.ts';
import { SmtpRelay } from '../../test/support/smtp-relay.ts';
import { capturingLogger, testDeps } from '../kit/action-test-context.ts';
import { EmailConfig } from './email-config.ts';
import type { OutgoingEmail } from './email-connection.ts';
import { emailConnector } from './index.ts';
import type { OutboxSender } from './outbox-sender.ts';

/**
 * D10, D23 (each notification once, and never held for nothing): an email step's `running` entry and
 * its outbox message go to the store in one commit, and the provider is called only once that entry is
 * stored. A turn whose run is no longer its own (taken over by another replica, or its entry refused)
 * must leave nothing behind that the run's next attempt would read as a send of its own cut off midway:
 * over SMTP, which cannot be asked whether it took a message, that would hold a digest that never went
 * for an operator's decision. Tested against a real SMTP server on loopback.
 */
const FROM = 'Partner Marketing <mdf@vendor.example>';
const clock = new VirtualClock('2026-03-03T07:00:00Z');
let store: Store;
let relay: SmtpRelay;
let templatesDir: string;
let engine: Engine | undefined;

beforeEach(async () => {
  clock.set('2026-03-03T07:00:00Z');
  store = await openSqliteStore({ path: ':memory:' });
  relay = await SmtpRelay.start();
  templatesDir = mkdtempSync(join(tmpdir(), 'partnerflow-stale-turn-'));
  writeFileSync(join(templatesDir, 'digest.txt'), '---\nsubject: Leads for {{ partner }}\n---\nYour new leads, {{ partner }}.\n');
});
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
  await relay.close();
  await store.close();
  rmSync(templatesDir, { recursive: true, force: true });
});

const smtpConfig = () => EmailConfig.parse({ smtpUrl: `smtp://127.0.0.1:${relay.port}`, from: FROM, templatesDir });

describe('a stale turn of an email step over SMTP', () => {
  it('another replica took the run over: the stale turn sends nothing and leaves the message to the new owner, who sends it once without asking an operator', async () => {
    const runId = asRunId('run_digest');
    await store.createRun({ id: runId, recipe: 'lead-share-digest', recipeVersion: 1, recipeHash: 'h', trigger: { type: 'schedule', receivedAt: clock.now(), data: {} }, dedupKey: 'd', correlationKey: null, cancelOnEvent: null, wakeAt: clock.now(), createdAt: clock.now() });
    await store.claimDueRuns({ now: clock.now(), owner: 'host-a~n1', leaseMs: 60_000, limit: 1 });
    // host-a stalls past its lease; host-b takes the run over.
    clock.advance(61_000);
    const [taken] = await store.claimDueRuns({ now: clock.now(), owner: 'host-b~n1', leaseMs: 60_000, limit: 1 });
    expect(taken?.leaseOwner).toBe('host-b~n1');
    const sender = () => emailConnector.connect(smtpConfig(), { ...testDeps(clock, capturingLogger()), store }) as OutboxSender;
    const email = (id: RunId): OutgoingEmail => ({ key: `${id}:send_digest`, runId: id, to: ['contact@partner-1001.example'], tag: 'lead-share-digest', rendered: { subject: 'Leads for Partner 1001', text: 'Your new leads.', html: '<p>Your new leads.</p>' } });

    // host-a's stale turn reaches the send: its `running` entry is refused, as the engine's write is.
    const lost = new LeaseLostError('run run_digest is no longer held by host-a~n1');
    await expect(sender().send(email(runId), { leaseOwner: 'host-a~n1', started: () => Promise.reject(lost) })).rejects.toBe(lost);
    expect(relay.messages).toHaveLength(0);

    // host-b's attempt of the step, its `running` entry stored: the message goes out, once.
    const sent = await sender().send(email(runId), { leaseOwner: 'host-b~n1', started: () => Promise.resolve() });
    expect(sent.alreadySent).toBe(false);
    expect(relay.messages.map((m) => m.headers.subject)).toEqual(['Leads for Partner 1001']);
    expect((await store.getOutbox(email(runId).key))?.status).toBe('sent');
  });

  it('the store refuses the step\'s `running` entry once: nothing is sent then, and the run\'s next attempt sends the digest once and completes', async () => {
    const recipe = recipeWith([{ id: 'send_digest', type: 'action', action: 'email.send', input: { to: ['contact@partner-1001.example'], template: 'digest', data: { partner: '{% trigger.data.partner %}' } } }]);
    const recipes = new RecipeSet([loadedRecipe(Recipe.parse(recipe), 'test-recipe.recipe.json')], store);
    await recipes.persist(clock.now());
    const tables = createTables({});
    const connectors = new ConnectorCatalog([fakeConnector(new FakeSystem()), emailConnector]).connect(
      { email: smtpConfig() },
      { clock, log: capturingLogger(), store, publicBaseUrl: 'http://localhost:3000', timezone: tables.calendar.timezone },
    );
    engine = new Engine({ store, clock, recipes, connectors, tables, log: silentLog, random: () => 1 });
    // The first `running` entry of the email step is refused, as when the lease is found gone.
    const writeJournal = store.writeJournal.bind(store);
    let refuse = 1;
    store.writeJournal = async (entries, owner, also) => {
      if (refuse > 0 && entries.some((e) => e.stepId === 'send_digest' && e.status === 'running')) {
        refuse--;
        return writeJournal(entries, 'another-replica~n1', also);
      }
      return writeJournal(entries, owner, also);
    };

    const [runId] = (await engine.deliver({ source: 'fake', deliveryId: 'd-1', event: 'thing.happened', data: { id: 'p-1001', partner: 'Partner 1001' } })).runIds;
    await engine.runUntilIdle();
    expect(relay.messages).toHaveLength(0);
    for (let i = 0; i < 3; i++) {
      clock.advance(5 * 60_000);
      await engine.runUntilIdle();
    }
    const run = await store.getRun(asRunId(runId!));
    expect(run?.error ?? null).toBeNull();
    expect(run?.status).toBe('completed');
    expect(relay.messages.map((m) => m.headers.subject)).toEqual(['Leads for Partner 1001']);
    expect((await store.getOutbox(`${runId}:send_digest`))?.status).toBe('sent');
  });
});
