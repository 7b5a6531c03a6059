import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { openSqliteStore } from '../../server/store/sqlite-store.ts';
import type { KyselyStore } from '../../server/store/kysely-store.ts';
import type { Store } from '../../server/store/store.ts';
import { capturingLogger, testContext, testDeps } from '../kit/action-test-context.ts';
import { AuthError, ValidationError } from '../kit/http-errors.ts';
import { EMAIL_MOCK_CONFIG, EmailConfig } from './email-config.ts';
import { TemplateError } from './email-templates.ts';
import { emailConnector } from './index.ts';
import { OutboxSender } from './outbox-sender.ts';
import { PostmarkClient } from './postmark-client.ts';

/** Shared with the simulated systems; set back to this time before each test (tests move it on). */
const START = '2026-04-20T09:00:00Z';
const clock = new VirtualClock(START);
const log = capturingLogger();
const templatesDir = mkdtempSync(join(tmpdir(), 'partnerflow-templates-'));
afterAll(() => rmSync(templatesDir, { recursive: true, force: true }));
const systems = useSimulatedSystems(clock);
let store: Store;

writeFileSync(
  join(templatesDir, 'request-received.txt'),
  `---
subject: We received {{ request.mdfNumber }}: {{ request.activityName }}
---
Hello {{ partner.name }} team,

you asked for {{ $formatNumber(request.amountRequested, '#,##0') }} USD.{{ note ? ' Note: ' & note : '' }}
Details: https://prm.example.com/mdf/{{ request.mdfNumber }}
Ref: [{{ request.reference }}]
`,
);
writeFileSync(join(templatesDir, 'broken.txt'), 'no front matter here');
/** An ops template for `unreachable`, written by the tests that use it (the other tests list the folder's templates). */
const NOT_SENT = `---
subject: {{ mdf_number }}: the partner was not sent "{{ not_told }}"
---
{{ problem }}
---- what it said ----
{{ not_told_text }}
`;

beforeEach(async () => {
  clock.set(START);
  store = await openSqliteStore({ path: ':memory:' });
});

/** Every message in the store's outbox, whatever its key. */
const outbox = () => (store as KyselyStore).db.selectFrom('outbox').selectAll().execute();

function connect(overrides: Partial<typeof EMAIL_MOCK_CONFIG> = {}): OutboxSender {
  const config = EmailConfig.parse({ ...EMAIL_MOCK_CONFIG, templatesDir, ...overrides });
  return emailConnector.connect(config, { ...testDeps(clock, log), store }) as OutboxSender;
}

const data = { request: { mdfNumber: 'MDF-1001', activityName: 'Cloud <Summit>', amountRequested: 12500 }, partner: { name: 'Northwind Cloud' } };

/** Runs `email.send` as the engine would, as step `stepKey` of run `run_test`. */
async function send(input: Record<string, unknown>, connection = connect(), stepKey = 'confirm') {
  const definition = emailConnector.actions.send!;
  const { ctx, notes } = testContext(connection, clock, { log, stepKey });
  const output = await definition.run(definition.input.parse(input), ctx);
  return { output: definition.output.parse(output) as { message_id: string; already_sent: boolean; subject: string }, notes };
}

describe('email.send', () => {
  it('sends the `unreachable` email to ops instead when `to` holds no address, naming what the partner was not told, once', async () => {
    const unreachable = { to: ['mdf.ops@vendor.example'], template: 'not-sent', data: { mdf_number: 'MDF-1001', problem: 'Submitted By Email is "jane@".' } };
    writeFileSync(join(templatesDir, 'not-sent.txt'), NOT_SENT);
    onTestFinished(() => rmSync(join(templatesDir, 'not-sent.txt')));
    const { output } = await send({ to: [], template: 'request-received', data, unreachable });
    expect(output).toMatchObject({ already_sent: false, to: ['mdf.ops@vendor.example'], subject: 'MDF-1001: the partner was not sent "We received MDF-1001: Cloud <Summit>"', unreachable: true });
    const [message, ...others] = systems.email.messages();
    expect(others).toEqual([]);
    expect(message).toMatchObject({ to: ['mdf.ops@vendor.example'], subject: 'MDF-1001: the partner was not sent "We received MDF-1001: Cloud <Summit>"', tag: 'not-sent' });
    expect(message!.text).toContain('Submitted By Email is "jane@".');
    expect(message!.text).toContain('Hello Northwind Cloud team,');
    expect((await send({ to: [], template: 'request-received', data, unreachable })).output.already_sent).toBe(true);
    expect(systems.email.messages()).toHaveLength(1);
  });

  it('sends to `to` as ever when it holds an address, whatever `unreachable` says; and refuses an empty `to` without `unreachable`', async () => {
    const unreachable = { to: ['mdf.ops@vendor.example'], template: 'not-sent', data: {} };
    writeFileSync(join(templatesDir, 'not-sent.txt'), NOT_SENT);
    onTestFinished(() => rmSync(join(templatesDir, 'not-sent.txt')));
    await send({ to: ['marketing@northwind.example'], template: 'request-received', data, unreachable });
    expect(systems.email.messages().map((m) => m.to)).toEqual([['marketing@northwind.example']]);
    expect(emailConnector.actions.send!.input.safeParse({ to: [], template: 'request-received', data }).error?.issues[0]).toMatchObject({ path: ['to'] });
    expect(emailConnector.actions.send!.input.safeParse({ to: [], template: 'request-received', data, unreachable: null }).success).toBe(false);
  });

  it('renders the template and delivers text and escaped HTML to the recipients', async () => {
    const { output } = await send({ to: ['marketing@northwind.example'], cc: ['cmm.emea@vendor.example'], template: 'request-received', data });
    expect(output).toMatchObject({ already_sent: false, subject: 'We received MDF-1001: Cloud <Summit>' });
    const [message, ...others] = systems.email.messages();
    expect(others).toEqual([]);
    expect(message).toMatchObject({
      from: 'Partner Marketing <mdf@partnerflow.example>',
      to: ['marketing@northwind.example'],
      cc: ['cmm.emea@vendor.example'],
      subject: 'We received MDF-1001: Cloud <Summit>',
      tag: 'request-received',
    });
    expect(message!.text).toContain('Hello Northwind Cloud team,');
    expect(message!.text).toContain('you asked for 12,500 USD.\n');
    expect(message!.html).toContain('<a href="https://prm.example.com/mdf/MDF-1001">');
    expect(message!.html).not.toContain('<Summit>');
  });

  it('renders an optional value that is absent as nothing', async () => {
    await send({ to: ['a@example.com'], template: 'request-received', data: { ...data, note: 'Bring badges' } }, connect(), 'with_note');
    await send({ to: ['b@example.com'], template: 'request-received', data }, connect(), 'without_note');
    const [withNote, withoutNote] = systems.email.messages();
    expect(withNote!.text).toContain('USD. Note: Bring badges');
    expect(withoutNote!.text).toContain('USD.\n');
    // A bare path to a value that is not there, with no fallback written in the template.
    expect(withoutNote!.text).toContain('Ref: []\n');
    expect(withNote!.text).toContain('Ref: []\n');
  });

  it('sends a notification once: the same step again finds it in the outbox', async () => {
    const connection = connect();
    const first = await send({ to: ['marketing@northwind.example'], template: 'request-received', data }, connection);
    const again = await send({ to: ['marketing@northwind.example'], template: 'request-received', data }, connection);
    expect(again.output).toMatchObject({ already_sent: true, message_id: first.output.message_id });
    expect(again.notes.join('\n')).toMatch(/already sent/);
    expect(systems.email.messages()).toHaveLength(1);
  });

  it('stores a new message already taken for its first attempt: one durable write before the provider is called, not two (D23: a digest to each of 1,000 partners)', async () => {
    const writes: string[] = [];
    const enqueue = store.enqueueOutbox.bind(store);
    const take = store.takeOutboxForSending.bind(store);
    store.enqueueOutbox = (...args) => (writes.push('enqueue'), enqueue(...args));
    store.takeOutboxForSending = (...args) => (writes.push('take'), take(...args));
    let atSend: unknown;
    class WatchedPostmark extends PostmarkClient {
      override async send(...args: Parameters<PostmarkClient['send']>) {
        atSend = { writes: [...writes], stored: await store.getOutbox(args[1]) };
        return super.send(...args);
      }
    }
    const base = connect();
    const provider = new WatchedPostmark({ apiUrl: EMAIL_MOCK_CONFIG.apiUrl, serverToken: EMAIL_MOCK_CONFIG.serverToken, messageStream: 'outbound' });
    const sender = new OutboxSender({ ...base.deps, provider });
    const email = { key: 'once:lead-share-digest:1001:2026-03-03', runId: null, to: ['contact@partner-1001.example'], template: { name: 'request-received', data } };
    expect(await sender.send(email)).toMatchObject({ alreadySent: false });
    // Before the provider saw it, the message was stored as being sent (a crash there asks the provider first).
    expect(atSend).toMatchObject({ writes: ['enqueue'], stored: { status: 'sending', attempts: 1 } });
    expect(await store.getOutbox(email.key)).toMatchObject({ status: 'sent', attempts: 1 });
    expect(systems.email.messages()).toHaveLength(1);
  });

  it('sends at most once per once_per key, whichever run asks', async () => {
    const input = { to: ['ops@northwind.example'], template: 'request-received', data, once_per: 'digest:101:2026-04-20' };
    await send(input, connect(), 'run_a_step');
    const second = await send(input, connect(), 'run_b_step');
    expect(second.output.already_sent).toBe(true);
    expect(systems.email.messages()).toHaveLength(1);
  });

  it('D11, D12 tell_on_change: each real change of a status is told once, an echo of the last one never', async () => {
    const tell = (value: string) => ({ to: ['ops@northwind.example'], template: 'request-received', data: { ...data, note: value }, tell_on_change: { subject: 'mdf-request-status:MDF-1001', value } });
    const approved = await send(tell('Approved'), connect(), 'run_a_tell');
    expect(approved.output.already_sent).toBe(false);
    const echo = await send(tell('Approved'), connect(), 'run_echo_tell');
    expect(echo.output).toMatchObject({ already_sent: true, message_id: approved.output.message_id });
    expect(echo.notes.join('\n')).toContain('was last told as Approved');
    await send(tell('Denied'), connect(), 'run_b_tell');
    await send(tell('Approved'), connect(), 'run_c_tell');
    // The same step again (a crash after the send) sends nothing new.
    await send(tell('Approved'), connect(), 'run_c_tell');
    expect(systems.email.messages().map((m) => /Note: (\w+)/.exec(m.text)?.[1])).toEqual(['Approved', 'Denied', 'Approved']);
  });

  it('D11, D12 tell_on_change with as_of: a status read from an older PRM state than one seen is not sent, and the step says superseded', async () => {
    const tell = (value: string, as_of: string) => ({ to: ['ops@northwind.example'], template: 'request-received', data: { ...data, note: value }, tell_on_change: { subject: 'mdf-request-status:MDF-1002', value, as_of } });
    await send(tell('Approved', '2026-04-20T09:00:00.000Z'), connect(), 'run_a_tell');
    // Both forms of the PRM's stamp compare: 09:05 (no zone, UTC) is newer than 09:00.
    await send(tell('Canceled', '2026-04-20 09:05:00'), connect(), 'run_b_tell');
    const stale = await send(tell('Approved', '2026-04-20T09:03:00Z'), connect(), 'run_c_tell');
    expect(stale.output).toMatchObject({ already_sent: true, superseded: true });
    expect(stale.notes.join('\n')).toContain('superseded: mdf-request-status:MDF-1002 was Canceled as of 2026-04-20T09:05:00.000Z');
    expect(systems.email.messages().map((m) => /Note: (\w+)/.exec(m.text)?.[1])).toEqual(['Approved', 'Canceled']);
  });

  it('does not send a second copy when an interrupted attempt was in fact delivered', async () => {
    const connection = connect();
    const { ctx } = testContext(connection, clock, { stepKey: 'confirm' });
    // The earlier attempt: stored, marked sending, accepted by the provider; then the process died.
    await store.enqueueOutbox({ key: ctx.idempotencyKey, runId: ctx.runId, message: { from: 'x@example.com', to: ['marketing@northwind.example'], subject: 's', text: 't', html: 'h' }, createdAt: clock.now() });
    await store.updateOutbox(ctx.idempotencyKey, { status: 'sending', attempts: 1 });
    const provider = new PostmarkClient({ apiUrl: EMAIL_MOCK_CONFIG.apiUrl, serverToken: EMAIL_MOCK_CONFIG.serverToken, messageStream: 'outbound' });
    const delivered = (await provider.send({ from: 'x@example.com', to: ['marketing@northwind.example'], subject: 's', text: 't', html: 'h' }, ctx.idempotencyKey)).messageId;

    const { output, notes } = await send({ to: ['marketing@northwind.example'], template: 'request-received', data }, connection);
    expect(output).toMatchObject({ already_sent: true, message_id: delivered });
    expect(notes.join('\n')).toMatch(/interrupted earlier attempt was delivered/);
    expect(systems.email.messages()).toHaveLength(1);
    expect(await store.getOutbox(ctx.idempotencyKey)).toMatchObject({ status: 'sent', providerMessageId: delivered });
  });

  it('finds an interrupted send that was delivered on a message stream other than outbound, and does not send it again', async () => {
    const connection = connect({ messageStream: 'mdf-notices' });
    const { ctx } = testContext(connection, clock, { stepKey: 'confirm' });
    await store.enqueueOutbox({ key: ctx.idempotencyKey, runId: ctx.runId, message: { from: 'x@example.com', to: ['marketing@northwind.example'], subject: 's', text: 't', html: 'h' }, createdAt: clock.now() });
    await store.updateOutbox(ctx.idempotencyKey, { status: 'sending', attempts: 1 });
    const provider = new PostmarkClient({ apiUrl: EMAIL_MOCK_CONFIG.apiUrl, serverToken: EMAIL_MOCK_CONFIG.serverToken, messageStream: 'mdf-notices' });
    const delivered = (await provider.send({ from: 'x@example.com', to: ['marketing@northwind.example'], subject: 's', text: 't', html: 'h' }, ctx.idempotencyKey)).messageId;

    const { output } = await send({ to: ['marketing@northwind.example'], template: 'request-received', data }, connection);
    expect(output).toMatchObject({ already_sent: true, message_id: delivered });
    expect(systems.email.messages()).toEqual([expect.objectContaining({ messageId: delivered, messageStream: 'mdf-notices' })]);
  });

  it('sends after a network failure left the outcome unknown and the provider has no such message', async () => {
    systems.faults.inject({ system: 'email', kind: 'network_error', times: 1 });
    const connection = connect();
    await expect(send({ to: ['marketing@northwind.example'], template: 'request-received', data }, connection)).rejects.toThrow();
    expect(systems.email.messages()).toHaveLength(0);
    clock.advance(2 * 60_000);
    const { output, notes } = await send({ to: ['marketing@northwind.example'], template: 'request-received', data }, connection);
    expect(output.already_sent).toBe(false);
    expect(notes.join('\n')).toMatch(/interrupted and the provider has no such message/);
    expect(systems.email.messages()).toHaveLength(1);
  });

  it('puts a message the provider refused (4xx) back to pending, and a retry sends it without asking first', async () => {
    systems.faults.inject({ system: 'email', kind: 'rate_limit', times: 1 });
    const connection = connect();
    const error = await send({ to: ['marketing@northwind.example'], template: 'request-received', data }, connection).catch((e: unknown) => e);
    expect(error).toMatchObject({ retryable: true, status: 429 });
    const { ctx } = testContext(connection, clock, { stepKey: 'confirm' });
    expect(await store.getOutbox(ctx.idempotencyKey)).toMatchObject({ status: 'pending' });
    const { notes } = await send({ to: ['marketing@northwind.example'], template: 'request-received', data }, connection);
    expect(notes.join('\n')).not.toMatch(/interrupted/);
    expect(systems.email.messages()).toHaveLength(1);
  });

  it('after a 5xx, which may follow an acceptance, waits out the send window and asks the provider before sending again', async () => {
    systems.faults.inject({ system: 'email', kind: 'server_error', times: 1 });
    const connection = connect();
    const input = { to: ['marketing@northwind.example'], template: 'request-received', data };
    expect(await send(input, connection).catch((e: unknown) => e)).toMatchObject({ retryable: true, status: 500 });
    const { ctx } = testContext(connection, clock, { stepKey: 'confirm' });
    expect(await store.getOutbox(ctx.idempotencyKey)).toMatchObject({ status: 'sending' });

    // Within the window the attempt could still be under way: the retry waits for the rest of it.
    clock.advance(30_000);
    const busy = await send(input, connection).catch((e: unknown) => e);
    expect(busy).toMatchObject({ name: 'OutboxBusyError', retryable: true, retryAfterMs: 90_000 });

    clock.advance(90_000);
    const { output, notes } = await send(input, connection);
    expect(output.already_sent).toBe(false);
    expect(notes.join('\n')).toMatch(/interrupted and the provider has no such message/);
    expect(systems.email.messages()).toHaveLength(1);
  });

  it('a second sender of a message another is still sending waits, and its retry finds the message sent', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    // The provider takes its time over the first send, as over a slow connection.
    class SlowPostmark extends PostmarkClient {
      override async send(...args: Parameters<PostmarkClient['send']>) {
        await gate;
        return super.send(...args);
      }
    }
    const base = connect();
    const provider = new SlowPostmark({ apiUrl: EMAIL_MOCK_CONFIG.apiUrl, serverToken: EMAIL_MOCK_CONFIG.serverToken, messageStream: 'outbound' });
    const sender = new OutboxSender({ ...base.deps, provider });
    const email = { key: 'once:digest:101:2026-04-21', runId: null, to: ['ops@northwind.example'], rendered: { subject: 'Digest', text: 't', html: 'h' } };

    const first = sender.send(email);
    await vi.waitFor(async () => expect(await store.getOutbox(email.key)).toMatchObject({ status: 'sending' }), { timeout: 5000 });
    const second = await sender.send(email).catch((e: unknown) => e);
    expect(second).toMatchObject({ name: 'OutboxBusyError', retryable: true, retryAfterMs: 2 * 60_000 });

    open();
    expect(await first).toMatchObject({ alreadySent: false });
    clock.advance(2 * 60_000);
    expect(await sender.send(email)).toMatchObject({ alreadySent: true });
    expect(systems.email.messages()).toHaveLength(1);
  });

  it('fails with AuthError for a wrong server token, without the token in the error or the logs', async () => {
    const error = await send({ to: ['a@example.com'], template: 'request-received', data }, connect({ serverToken: 'wrong-token-77a1' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as Error).message).toMatch(/^email POST \/email answered 401/);
    // Review 5 finding 6: the message names what to fix, never its value.
    expect((error as Error).message).toMatch(/; check EMAIL_SERVER_TOKEN \(the server token of the email API at EMAIL_API_URL\)$/);
    expect(JSON.stringify({ error, m: (error as Error).message }) + log.text()).not.toContain('wrong-token-77a1');
  });

  it("reports the provider's reason for a message it refuses, without retrying", async () => {
    const connection = connect({ from: 'Nobody <nobody@invalid.example>' });
    // The mock refuses a message whose To is not an address; the action's schema already refuses that, so go below it.
    const rendered = await connection.render('request-received', data);
    // Every request the connector makes goes through the global fetch (MSW answers it): count them.
    const fetches = vi.spyOn(globalThis, 'fetch');
    const notes: string[] = [];
    let error: unknown;
    try {
      error = await connection.send({ key: 'k-1', runId: null, to: ['not-an-address'], rendered }, { note: (line) => notes.push(line) }).catch((e: unknown) => e);
      expect(fetches).toHaveBeenCalledTimes(1);
    } finally {
      fetches.mockRestore();
    }
    expect(notes).toEqual([]);
    expect(error).toBeInstanceOf(ValidationError);
    // Not for the engine to retry either: the message waits, unsent, for whoever fixes the recipe.
    expect(error).toMatchObject({ retryable: false });
    expect(await store.getOutbox('k-1')).toMatchObject({ status: 'pending', attempts: 1 });
    expect((error as Error).message).toMatch(/answered 422/);
    // Postmark's own `{ ErrorCode, Message }` comes through as the error's code and message.
    expect(error).toMatchObject({ code: '300', systemMessage: expect.stringContaining("Illegal email address 'not-an-address'") });
    expect((error as Error).message).toMatch(/answered 422: 300: Error parsing 'To': Illegal email address 'not-an-address'/);
    expect(systems.email.messages()).toEqual([]);
  });

  it('D24: a recipient the provider refuses for good (422, 406: marked inactive) fails the send at once as EmailRefusedError, in the provider\'s words, not retryable', async () => {
    systems.faults.inject({ system: 'email', kind: 'refused', to: 'leads@bad.example', times: 5 });
    const error = await send({ to: ['leads@bad.example'], template: 'request-received', data }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'EmailRefusedError', retryable: false, status: 422 });
    expect((error as Error).message).toBe(
      'email POST /email answered 422: 406: You tried to send to recipient(s) that have been marked as inactive. Found inactive addresses: leads@bad.example. Inactive recipients are ones that have generated a hard bounce, a spam complaint, or a manual suppression.',
    );
    expect(systems.email.messages()).toEqual([]);
    // Another recipient's message is not refused: the refusal is this message's, not the provider's.
    await send({ to: ['good@good.example'], template: 'request-received', data }, connect(), 'other');
    expect(systems.email.messages().map((m) => m.to)).toEqual([['good@good.example']]);
    // A rate limit is not a refusal for good: it stays retryable under its own name.
    systems.faults.inject({ system: 'email', kind: 'rate_limit' });
    expect(await send({ to: ['good@good.example'], template: 'request-received', data }, connect(), 'third').catch((e: unknown) => e)).toMatchObject({ name: 'RateLimitError', retryable: true });
  });

  it('names a missing template and does not retry it', async () => {
    const error = await send({ to: ['a@example.com'], template: 'no-such-template', data }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemplateError);
    // A name chosen at run time (from a trigger's payload) is only known here: the message names the folder and its templates.
    expect((error as Error).message).toBe(`no email template "no-such-template" in ${templatesDir} (EMAIL_TEMPLATES_DIR); the templates there: broken, request-received`);
    expect(error).toMatchObject({ retryable: false });
    const misspelt = await send({ to: ['a@example.com'], template: 'request-recieved', data }).catch((e: unknown) => e);
    expect((misspelt as Error).message).toBe(`no email template "request-recieved" in ${templatesDir} (EMAIL_TEMPLATES_DIR) (did you mean "request-received"?)`);
    const noFolder = await send({ to: ['a@example.com'], template: 'request-received', data }, connect({ templatesDir: join(templatesDir, 'gone') })).catch((e: unknown) => e);
    expect((noFolder as Error).message).toBe(`no email template "request-received": the templates folder ${join(templatesDir, 'gone')} (EMAIL_TEMPLATES_DIR) does not exist`);
    const broken = await send({ to: ['a@example.com'], template: 'broken', data }).catch((e: unknown) => e);
    expect((broken as Error).message).toMatch(/broken\.txt: a template starts with a front matter/);
  });

  it('refuses a recipient that is not an email address before anything is stored', async () => {
    await expect(send({ to: ['nobody'], template: 'request-received', data })).rejects.toThrow(/to/);
    expect(await outbox()).toEqual([]);
    expect(systems.email.messages()).toEqual([]);
  });
});

describe('shipped templates', () => {
  it('all parse and render with a full MDF request', async () => {
    const connection = connect({ templatesDir: fileURLToPath(new URL('../../recipes/email-templates', import.meta.url)) });
    const request = { mdfNumber: 'MDF-1001', activityName: 'Cloud Summit Munich', activityType: 'Event', amountRequested: 10000, totalCost: 20000, activityRegion: 'EMEA' };
    for (const name of ['mdf-request-received', 'mdf-approval-request', 'mdf-approval-reminder', 'mdf-approval-escalation', 'mdf-request-approved', 'mdf-request-denied', 'mdf-request-canceled', 'mdf-request-problems']) {
      const rendered = await connection.render(name, { request, partner: { name: 'Northwind Cloud' }, problems: [{ rule: 'D4', message: 'too little' }], decision: { approver: 'cmm@example.com', comment: 'ok' }, approver_name: 'Elena', approve_url: 'https://x/approve', deny_url: 'https://x/deny', expires_at: '2026-05-01T00:00:00Z', first_approver: { name: 'Elena', email: 'e@example.com' }, secondary: { name: 'Marta', email: 'm@example.com' } });
      // The values come through (a misspelt path renders as nothing, so the names must be there).
      expect(rendered.subject, name).toContain('MDF-1001');
      expect(rendered.text, name).toContain('Northwind Cloud');
    }
  });
});

describe('email.note_change', () => {
  /** Runs `email.note_change` as the engine would, as step `stepKey` of run `run_test`. */
  async function note(input: Record<string, unknown>, stepKey = 'note_resubmitted_open') {
    const definition = emailConnector.actions.note_change!;
    const { ctx } = testContext(connect(), clock, { log, stepKey });
    return definition.output.parse(await definition.run(definition.input.parse(input), ctx));
  }
  const subject = 'mdf-request-status:MDF-1001';

  it('D7, D11: records a change as told and sends nothing; the same step again (after a crash) still says it recorded it; another step finds it told', async () => {
    expect(await note({ subject, value: 'Open', as_of: '2026-03-02T09:00:00.000Z' })).toEqual({ recorded: true, superseded: false });
    expect(await note({ subject, value: 'Open', as_of: '2026-03-02T09:00:00.000Z' })).toEqual({ recorded: true, superseded: false });
    expect(await note({ subject, value: 'Open', as_of: '2026-03-02T09:00:00.000Z' }, 'another_step')).toEqual({ recorded: false, superseded: false });
    // An older read records nothing.
    expect(await note({ subject, value: 'Denied', as_of: '2026-03-01T09:00:00.000Z' }, 'older')).toEqual({ recorded: false, superseded: true });
    expect(systems.email.messages()).toEqual([]);
  });
});
