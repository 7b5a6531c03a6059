import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntimeProcess, type RuntimeProcess } from './support/runtime-process.ts';
import { until } from './support/until.ts';

/**
 * Issue 10: the runtime as a real child process, killed with SIGKILL in the middle of sending the
 * approval email (the email API holds the request). The restarted process finds the send `sending`:
 * the request the dead process made may still be on its way through the provider, so it leaves the
 * message alone until 2 minutes after the send began (review 9, finding 1), then asks the provider and
 * sends it, once; the step has not spent its retries waiting.
 */
const CMM = 'cmm.emea@vendor.example';

let rt: RuntimeProcess;

beforeAll(async () => {
  rt = await openRuntimeProcess('partnerflow-send-crash-');
});

afterAll(async () => {
  await rt?.close();
});

function outboxRow(key: string): { status: string; attempts: number; sending_owner: string | null; sending_since: number | null; approvalId: string | null } {
  return rt.readStore((db) => db.prepare(`select status, attempts, sending_owner, sending_since, json_extract(message, '$.template.approvalId') as approvalId from outbox where key = ?`).get(key) as never);
}

describe('a send cut off by a crash (issue 10)', () => {
  it('D10: after a kill mid-send the restarted runtime waits out the 2-minute send window, then sends the approval email once, spending no attempt on waiting; the files hold no link', async () => {
    const { systems, sim, runOf, emailsTo, storeBytes, dbPath } = rt;
    rt.start();
    await rt.ready();

    // The partner's confirmation goes through; the approval email is held in flight.
    sim.holdEmailSendsTo = CMM;
    const accepted = await rt.deliverPrmWebhook({ id: 'send-crash-1', event: 'mdf_request.submitted', data: systems.prm.findMdfRequest('MDF-1001') });
    expect(accepted.status).toBe(202);
    const runId = ((await accepted.json()) as { run_ids: string[] }).run_ids[0]!;
    const key = `${runId}:ask_approver`;
    await until('the approval email to be in flight', async () => (existsSync(dbPath()) && outboxRow(key)?.status === 'sending' ? true : undefined));
    const taken = outboxRow(key);
    expect(taken.sending_owner).toMatch(/^crash-test-host~/);

    await rt.crash();
    // The send in flight never reached the provider.
    sim.dropHeldEmailSends();
    sim.holdEmailSendsTo = null;
    expect(emailsTo(CMM, 'MDF approval needed')).toHaveLength(0);
    const token = rt.linkTokenFor(taken.approvalId!);
    expect(storeBytes().includes(Buffer.from(token))).toBe(false);

    rt.start();
    await until('the approval email to go out', async () => (emailsTo(CMM, 'MDF approval needed').length > 0 ? true : undefined), 150_000);
    // Not before the provider could have had the dead process's request in hand for 2 minutes.
    expect(Date.now()).toBeGreaterThanOrEqual(taken.sending_since! + 120_000);
    expect(emailsTo(CMM, 'MDF approval needed')).toHaveLength(1);
    expect(emailsTo(CMM, 'MDF approval needed')[0]!.text).toContain(`/approvals/${token}?decision=approve`);
    const step = await until('the step to complete', async () => {
      const entry = (await runOf(runId)).journal.find((e) => e.stepKey === 'ask_approver') as { status: string; attempts: number; notes: string[] } | undefined;
      return entry?.status === 'completed' ? entry : undefined;
    });
    // Attempt 1 died mid-send; attempt 2 asked the provider and sent.
    expect(step.attempts).toBe(2);
    expect(step.notes.join('\n')).toMatch(/interrupted and the provider has no such message/);
    expect(storeBytes().includes(Buffer.from(token))).toBe(false);
  }, 240_000);
});
