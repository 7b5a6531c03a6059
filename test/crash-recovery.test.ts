import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TOKEN, openRuntimeProcess, type RuntimeProcess } from './support/runtime-process.ts';
import { until } from './support/until.ts';

/**
 * The runtime as a real child process on a file store, killed with SIGKILL while runs are in flight (the
 * approval run waits for the CMM, its Salesforce sync run is in its call to Salesforce), then restarted.
 * The runs must complete, each email must have been sent exactly once, and Salesforce must hold one record.
 */
const PARTNER = 'marketing@northwind.example';
const CMM = 'cmm.emea@vendor.example';
const DAY = 86_400_000;
/** A time's calendar day in UTC, as the PRM stores dates. */
const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

let rt: RuntimeProcess;

beforeAll(async () => {
  rt = await openRuntimeProcess('partnerflow-crash-');
});

afterAll(async () => {
  await rt?.close();
});

describe('crash recovery', () => {
  it('runs killed mid-flight (a Salesforce sync in its call) complete after a restart; each email is sent exactly once, Salesforce has one record', async () => {
    const { systems, sim, port, runOf, emailsTo } = rt;
    rt.start();
    await rt.ready();

    // The activity is a month away, as a request awaiting approval's is: its approval arms the claim
    // reminders (D14) for days 2, 14 and 28 after it, none due within the test. (The demo's end date, in
    // May 2026, would rightly bring a late claim reminder 10 minutes after the approval.)
    const startDate = utcDate(Date.now() + 30 * DAY);
    const endDate = utcDate(Date.now() + 31 * DAY);
    systems.prm.updateMdfRequest('MDF-1001', { startDate, endDate });
    sim.holdSalesforce = true;
    const accepted = await rt.deliverPrmWebhook({ id: 'crash-delivery-1', event: 'mdf_request.submitted', data: systems.prm.findMdfRequest('MDF-1001') });
    expect(accepted.status).toBe(202);
    const runId = ((await accepted.json()) as { run_ids: string[] }).run_ids[0]!;

    // The approval run handed the Salesforce write to a sync run (D1) and asked the CMM; the sync's call
    // to Salesforce is in flight: kill the process there.
    const syncRunId = await until('the approval run to wait for the CMM with its Salesforce sync started', async () => {
      const { run, journal } = await runOf(runId);
      const started = journal.find((e) => e.stepKey === 'sync_submitted') as { status: string; output?: { run_id?: string } } | undefined;
      return run.status === 'waiting' && started?.status === 'completed' ? started.output?.run_id : undefined;
    });
    await until('the sync run to be in its Salesforce call', async () => ((await runOf(syncRunId)).journal.find((e) => e.stepKey === 'sync')?.status === 'running' ? true : undefined));
    await rt.crash();
    expect(emailsTo(PARTNER, 'We received')).toHaveLength(1);
    expect(emailsTo(CMM, 'MDF approval needed')).toHaveLength(1);
    sim.holdSalesforce = false;

    rt.start();
    await until('the restarted sync run to complete', async () => ((await runOf(syncRunId)).run.status === 'completed' ? true : undefined));
    expect(systems.salesforce.records('PartnerFundRequest').filter((r) => r.MDF_Number__c === 'MDF-1001')).toHaveLength(1);

    const [approvalEmail] = emailsTo(CMM, 'MDF approval needed');
    const link = new URL(/https?:\/\/\S+\/approvals\/\S+\?decision=approve/.exec(approvalEmail!.text)![0]);
    const decided = await fetch(`http://127.0.0.1:${port}${link.pathname}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'decision=approve',
    });
    expect(decided.status).toBe(200);
    await until('the run to complete', async () => ((await runOf(runId)).run.status === 'completed' ? true : undefined));
    const approvedSync = ((await runOf(runId)).journal.find((e) => e.stepKey === 'sync_approved') as { output?: { run_id?: string } } | undefined)?.output?.run_id;
    await until('the sync of the approval to complete', async () => (approvedSync && (await runOf(approvedSync)).run.status === 'completed' ? true : undefined));

    expect(emailsTo(PARTNER, 'We received')).toHaveLength(1);
    expect(emailsTo(CMM, 'MDF approval needed')).toHaveLength(1);
    expect(emailsTo(PARTNER, 'is approved')).toHaveLength(1);
    expect(systems.email.messages()).toHaveLength(3);
    expect(systems.prm.findMdfRequest('MDF-1001')?.status).toBe('Approved');
    const [fundRequest, ...more] = systems.salesforce.records('PartnerFundRequest').filter((r) => r.MDF_Number__c === 'MDF-1001');
    expect(more).toEqual([]);
    expect(fundRequest?.Status).toBe('Approved');

    // D14: the approval armed the claim reminders after the activity's end, once each, none sent yet.
    const timers = (await (await fetch(`http://127.0.0.1:${port}/timers`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).json()) as { business_timers: Array<{ key: string; offset: number; date: string }> };
    expect(timers.business_timers.filter((t) => t.key === 'MDF-1001').map((t) => [t.offset, t.date])).toEqual([[2, endDate], [14, endDate], [28, endDate]]);
  }, 150_000);
});
