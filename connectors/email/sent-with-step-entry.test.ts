import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { asRunId, asStepKey, type RunId } from '../../server/engine/ids.ts';
import { openSqliteStore } from '../../server/store/sqlite-store.ts';
import { openTestPostgresStore } from '../../test/support/test-postgres.ts';
import type { JournalEntry, Store } from '../../server/store/store.ts';
import type { StepEntryWrite } from '../kit/define-connector.ts';
import { capturingLogger, testDeps } from '../kit/action-test-context.ts';
import { EMAIL_MOCK_CONFIG, EmailConfig } from './email-config.ts';
import type { OutgoingEmail } from './email-connection.ts';
import { emailConnector } from './index.ts';
import type { OutboxSender } from './outbox-sender.ts';

/**
 * D23 (a digest to each of 1,000 partners), D10 (each notification once): run by the engine, email.send
 * hands the outbox's `sent` mark to the engine, which writes it with the step's `completed` entry in
 * one commit instead of two. Until that commit the message is `sending`, as during the provider's
 * call, so every way the commit can be missed ends as an interrupted send did before: the provider is
 * asked first, and no partner gets a second email.
 */
const clock = new VirtualClock('2026-03-03T07:00:00Z');
const systems = useSimulatedSystems(clock);
let store: Store;
afterEach(() => store.close());

// The same on both stores: the records go in the store's unit of work, which each runs its own way.
describe.each([
  ['SQLite', () => openSqliteStore({ path: ':memory:' })],
  ['PostgreSQL', () => openTestPostgresStore()],
] as const)('on %s', (_name, open) => {
  beforeEach(async () => {
    clock.set('2026-03-03T07:00:00Z');
    store = await open();
  });

  function sender(): OutboxSender {
    return emailConnector.connect(EmailConfig.parse({ ...EMAIL_MOCK_CONFIG }), { ...testDeps(clock, capturingLogger()), store }) as OutboxSender;
  }

  async function runWithLease(owner: string): Promise<RunId> {
    const id = asRunId('run_digest');
    await store.createRun({ id, recipe: 'lead-share-digest', recipeVersion: 3, recipeHash: 'h', trigger: { type: 'schedule', receivedAt: clock.now(), data: {} }, dedupKey: 'd', correlationKey: null, cancelOnEvent: null, wakeAt: clock.now(), createdAt: clock.now() });
    const [run] = await store.claimDueRuns({ now: clock.now(), owner, leaseMs: 60_000, limit: 1 });
    expect(run?.leaseOwner).toBe(owner);
    return id;
  }

  const email = (runId: RunId): OutgoingEmail => ({
    key: 'once:lead-share-digest:1001:2026-03-03',
    runId,
    to: ['contact@partner-1001.example'],
    tag: 'lead-share-digest',
    rendered: { subject: '2 new leads shared with Partner 1001 (2026-03-03)', text: '- Ann Lee <ann@client.example>\n- Bo Chen <bo@client.example>', html: '<p>leads</p>' },
  });

  const completed = (runId: RunId, messageId: string): JournalEntry => ({
    runId,
    stepKey: asStepKey('each_partner[0].send_digest'),
    stepId: 'send_digest',
    stepType: 'action',
    status: 'completed',
    input: null,
    output: { message_id: messageId, already_sent: false },
    error: null,
    attempts: 1,
    startedAt: clock.now(),
    finishedAt: clock.now(),
    nextAttemptAt: null,
    wait: null,
    notes: [],
  });

  /** Sends as the engine's step does, keeping what the sender handed over for the step's entry. */
  async function sendInStep(s: OutboxSender, runId: RunId): Promise<{ messageId: string; handed: StepEntryWrite[] }> {
    const handed: StepEntryWrite[] = [];
    const { messageId } = await s.send(email(runId), { withStepEntry: (w) => handed.push(w) });
    return { messageId, handed };
  }

  describe("email.send in a step: the outbox's `sent` mark is written with the step's journal entry, in one commit (D23, D10)", () => {
    it('the message is `sent` exactly when the step is `completed`: one commit holds both', async () => {
      const runId = await runWithLease('host-a~n1');
      const { messageId, handed } = await sendInStep(sender(), runId);
      expect(handed).toHaveLength(1);
      // The provider took it; until the step's commit the message is as it was during the call.
      expect(await store.getOutbox(email(runId).key)).toMatchObject({ status: 'sending' });

      expect(await store.writeJournal([completed(runId, messageId)], 'host-a~n1', { outboxSent: handed.map((w) => w.outboxSent) })).toBe(true);
      handed[0]!.stored(true);
      expect(await store.getOutbox(email(runId).key)).toMatchObject({ status: 'sent', providerMessageId: messageId, lastError: null, message: { text: '[erased once sent]', html: '[erased once sent]' } });
      expect((await store.getJournal(runId))[0]).toMatchObject({ status: 'completed', output: { message_id: messageId } });
      expect(systems.email.messages()).toHaveLength(1);
    });

    it('a crash before that commit: after the restart the next attempt waits out the send window, asks the provider, finds the email and sends no second one', async () => {
      const runId = await runWithLease('host-a~n1');
      await sendInStep(sender(), runId);
      // The process dies before the step's commit: neither the entry nor the `sent` mark is stored.

      clock.advance(10_000);
      await store.releaseLeases('host-a', clock.now());
      await store.claimDueRuns({ now: clock.now(), owner: 'host-a~n2', leaseMs: 60_000, limit: 1 });
      // Within the send window the provider might still be taking a request: nobody asks it yet.
      await expect(sender().send(email(runId), { withStepEntry: () => {} })).rejects.toMatchObject({ name: 'OutboxBusyError' });
      clock.advance(110_000);
      const notes: string[] = [];
      const again = await sender().send(email(runId), { note: (n) => notes.push(n), withStepEntry: () => {} });
      expect(again.alreadySent).toBe(true);
      expect(notes.join('\n')).toMatch(/an interrupted earlier attempt was delivered as message .*; not sent again/);
      expect(systems.email.messages()).toHaveLength(1);
      expect(await store.getOutbox(email(runId).key)).toMatchObject({ status: 'sent', providerMessageId: again.messageId });
    });

    it("the step's commit fails (the store is down): the step's retry in this process records it and sends nothing", async () => {
      const runId = await runWithLease('host-a~n1');
      const s = sender();
      const { messageId, handed } = await sendInStep(s, runId);
      handed[0]!.stored(false);
      expect(await store.getOutbox(email(runId).key)).toMatchObject({ status: 'sending' });

      const notes: string[] = [];
      const again = await s.send(email(runId), { note: (n) => notes.push(n), withStepEntry: () => {} });
      expect(again).toEqual({ messageId, alreadySent: true });
      expect(notes.join('\n')).toMatch(/when the store could not record it; recorded now, not sent again/);
      expect(systems.email.messages()).toHaveLength(1);
      expect(await store.getOutbox(email(runId).key)).toMatchObject({ status: 'sent', providerMessageId: messageId });
    });

    it('the run was taken over meanwhile (the lease is gone): the entry is refused, and the message is recorded `sent` all the same', async () => {
      const runId = await runWithLease('host-a~n1');
      const { messageId, handed } = await sendInStep(sender(), runId);
      expect(await store.writeJournal([completed(runId, messageId)], 'host-b~n1', { outboxSent: handed.map((w) => w.outboxSent) })).toBe(false);
      expect(await store.getJournal(runId)).toEqual([]);
      expect(await store.getOutbox(email(runId).key)).toMatchObject({ status: 'sent', providerMessageId: messageId });
    });
  });

  describe("email.send in a step: its `running` entry goes with the outbox message taken for sending, in one commit (D23, D10)", () => {
    it('the provider is not called before the step\'s start is stored', async () => {
      const runId = await runWithLease('host-a~n1');
      let startStored!: () => void;
      const started = new Promise<void>((resolve) => (startStored = resolve));
      const sending = sender().send(email(runId), { started: () => started });
      await expect.poll(async () => (await store.getOutbox(email(runId).key))?.status).toBe('sending');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(systems.email.messages()).toHaveLength(0);

      startStored();
      expect(await sending).toMatchObject({ alreadySent: false });
      expect(systems.email.messages()).toHaveLength(1);
    });

    it('when the start cannot be stored (the run was taken over), nothing is sent; the next attempt finds an interrupted send, waits out the send window and sends it once', async () => {
      const runId = await runWithLease('host-a~n1');
      const lost = Object.assign(new Error('run run_digest is no longer held by host-a~n1'), { name: 'LeaseLostError' });
      await expect(sender().send(email(runId), { started: () => Promise.reject(lost) })).rejects.toBe(lost);
      expect(systems.email.messages()).toHaveLength(0);
      expect(await store.getOutbox(email(runId).key)).toMatchObject({ status: 'sending' });

      clock.advance(10_000);
      await store.releaseLeases('host-a', clock.now());
      await store.claimDueRuns({ now: clock.now(), owner: 'host-a~n2', leaseMs: 60_000, limit: 1 });
      // The new process cannot know the message never reached the provider: it waits out the window.
      await expect(sender().send(email(runId))).rejects.toMatchObject({ name: 'OutboxBusyError', retryAfterMs: 110_000 });
      expect(systems.email.messages()).toHaveLength(0);
      clock.advance(110_000);
      const notes: string[] = [];
      expect(await sender().send(email(runId), { note: (n) => notes.push(n) })).toMatchObject({ alreadySent: false });
      expect(notes.join('\n')).toMatch(/interrupted and the provider has no such message; sending it now/);
      expect(systems.email.messages()).toHaveLength(1);
    });
  });
});
