import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageIdFor } from '../connectors/email/smtp-client.ts';
import { API_TOKEN, openRuntimeProcess, type RuntimeProcess } from './support/runtime-process.ts';
import { SmtpRelay } from './support/smtp-relay.ts';
import { until } from './support/until.ts';

/**
 * Issue 14, part 8: the runtime as a real child process sending through an SMTP relay, killed with
 * SIGKILL while the relay has the approval email's data and has not answered. An SMTP relay cannot be
 * asked whether it took the message, so the restarted runtime does not send it again: the run fails at
 * the step saying so, and the email goes out again only when an operator says it did not arrive.
 */
const CMM = 'cmm.emea@vendor.example';
const FROM = 'Partner Marketing <mdf@partnerflow.test>';
const PASSWORD = 'crash-test-smtp-password';

let rt: RuntimeProcess;
let relay: SmtpRelay;
let smtpEnv: Record<string, string>;

beforeAll(async () => {
  rt = await openRuntimeProcess('partnerflow-smtp-crash-');
  relay = await SmtpRelay.start({ users: { partnerflow: PASSWORD } });
  // The relay instead of the simulated email API.
  smtpEnv = { EMAIL_API_URL: '', EMAIL_SERVER_TOKEN: '', EMAIL_SMTP_URL: `smtp://partnerflow@127.0.0.1:${relay.port}`, EMAIL_SMTP_PASSWORD: PASSWORD, EMAIL_FROM: FROM };
});

afterAll(async () => {
  await rt?.close();
  await relay?.close();
});

function outboxRow(key: string): { status: string; last_error: string | null } | undefined {
  return rt.readStore((db) => db.prepare('select status, last_error from outbox where key = ?').get(key) as never);
}

describe('an SMTP send cut off by a crash (issue 14, part 8)', () => {
  it('is not sent again after the restart: the run fails asking for an operator, who resends it (same Message-ID, same approval link)', async () => {
    rt.start(smtpEnv);
    await rt.ready();
    relay.behaviour = { holdAfterDataTo: CMM };
    const accepted = await rt.deliverPrmWebhook({ id: 'smtp-crash-1', event: 'mdf_request.submitted', data: rt.systems.prm.findMdfRequest('MDF-1001') });
    expect(accepted.status).toBe(202);
    const runId = ((await accepted.json()) as { run_ids: string[] }).run_ids[0]!;
    const key = `${runId}:ask_approver`;
    await until('the relay to hold the approval email', async () => (relay.messages.some((m) => m.envelope.to.includes(CMM)) ? true : undefined));
    await until('the outbox row to be sending', async () => (existsSync(rt.dbPath()) && outboxRow(key)?.status === 'sending' ? true : undefined));

    await rt.crash();
    relay.behaviour = {};
    rt.start(smtpEnv);
    const failed = await until(
      'the run to fail at the approval email',
      async () => {
        const view = (await rt.runOf(runId)) as unknown as { run: { status: string; error?: { message: string; stepKey?: string } } };
        return view.run.status === 'failed' ? view.run : undefined;
      },
      60_000,
    );
    expect(failed.error?.stepKey).toBe('ask_approver');
    expect(failed.error?.message).toContain(`email ${key} needs an operator’s decision: an earlier attempt was cut off while sending through the SMTP relay`);
    expect(failed.error?.message).toContain(`Message-ID ${messageIdFor(key, FROM)}`);
    expect(outboxRow(key)?.status).toBe('failed');
    const toCmm = () => relay.messages.filter((m) => m.envelope.to.includes(CMM));
    expect(toCmm()).toHaveLength(1);

    // The operator found nothing in the relay's log: send it again.
    const resend = await fetch(`http://127.0.0.1:${rt.port}/outbox/${encodeURIComponent(key)}/resend`, { method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}` } });
    expect(resend.status).toBe(200);
    await until('the approval email to go out again', async () => (toCmm().length === 2 ? true : undefined), 60_000);
    const [first, second] = toCmm();
    expect(second!.headers['message-id']).toBe(first!.headers['message-id']);
    expect(second!.text).toBe(first!.text);
    expect(second!.text).toMatch(/\/approvals\/[\w-]+\?decision=approve/);
    await until('the run to wait for the decision', async () => ((await rt.runOf(runId)).run.status === 'waiting' ? true : undefined), 60_000);
    expect(outboxRow(key)?.status).toBe('sent');
    // The SMTP password is in no journal, error or outbox row.
    expect(rt.storeBytes().includes(Buffer.from(PASSWORD))).toBe(false);
  }, 180_000);
});
