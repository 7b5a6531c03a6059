import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntimeProcess, type RuntimeProcess } from './support/runtime-process.ts';
import { until } from './support/until.ts';

/**
 * D10: the runtime as a real child process on a file store, killed with SIGKILL while an approval email
 * waits to be sent (the email API refuses it for now). The bytes the crash leaves (database, WAL, shm)
 * hold no working link; after a restart the email goes out and its link decides.
 */
const CMM = 'cmm.emea@vendor.example';

let rt: RuntimeProcess;

beforeAll(async () => {
  rt = await openRuntimeProcess('partnerflow-links-crash-');
});

afterAll(async () => {
  await rt?.close();
});

/** The link token of every approval the store holds, derived from its approval id. */
function derivedTokens(): string[] {
  return rt.readStore((db) => (db.prepare('select approval_id from approvals where approval_id is not null').pluck().all() as string[]).map((id) => rt.linkTokenFor(id)));
}

describe('approval links after a crash (D10)', () => {
  it('a runtime killed while an approval email waits to be sent leaves no working link in its files; after the restart the email goes out and its link decides', async () => {
    const { systems, port, runOf, emailsTo, storeBytes } = rt;
    rt.start();
    await rt.ready();

    // The email API refuses the approval email (not the receipt): it is stored and waits to be sent.
    systems.faults.inject({ system: 'email', kind: 'rate_limit', retryAfterSeconds: 5, times: 1000, to: CMM });
    const accepted = await rt.deliverPrmWebhook({ id: 'links-crash-1', event: 'mdf_request.submitted', data: systems.prm.findMdfRequest('MDF-1001') });
    expect(accepted.status).toBe(202);
    const runId = ((await accepted.json()) as { run_ids: string[] }).run_ids[0]!;
    await until('the approval email to have been refused', async () => ((await runOf(runId)).journal.find((e) => e.stepKey === 'ask_approver')?.status === 'failed' ? true : undefined));

    await rt.crash();
    expect(emailsTo(CMM, 'MDF approval needed')).toHaveLength(0);
    const [token, ...others] = derivedTokens();
    expect(others).toEqual([]);
    expect(storeBytes().includes(Buffer.from(token!)), 'the link token is in the files the crash left').toBe(false);

    systems.faults.clear();
    rt.start();
    await until('the approval email to go out', async () => (emailsTo(CMM, 'MDF approval needed').length > 0 ? true : undefined), 120_000);
    const [approvalEmail] = emailsTo(CMM, 'MDF approval needed');
    expect(approvalEmail!.text).toContain(`/approvals/${token}?decision=approve`);
    expect(storeBytes().includes(Buffer.from(token!))).toBe(false);
    const decided = await fetch(`http://127.0.0.1:${port}/approvals/${token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' });
    expect(decided.status).toBe(200);
    await until('the run to complete', async () => ((await runOf(runId)).run.status === 'completed' ? true : undefined));
    expect(emailsTo(CMM, 'MDF approval needed')).toHaveLength(1);
  }, 240_000);
});
