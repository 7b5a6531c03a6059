import { afterEach, describe, expect, it } from 'vitest';
import { createLoggedRuntime } from '../test/support/logged-runtime.ts';
import type { Runtime } from './runtime.ts';
import type { Logger } from '../connectors/kit/define-connector.ts';
import { logLifecycle } from './lifecycle-log.ts';
import { asRunId } from './engine/ids.ts';

/** The log lines an operator reads at `info` while MDF-1001 goes through the runtime `npm start` builds. */
let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

interface Line {
  time: string;
  level: number;
  msg: string;
  runId?: string;
  recipe?: string;
  key?: string;
  [field: string]: unknown;
}

/** The logging runtime of test/support/logged-runtime.ts, kept to be closed after the test. */
async function loggedRuntime(): Promise<{ rt: Runtime; lines: Line[] }> {
  const logged = await createLoggedRuntime<Line>();
  runtime = logged.runtime;
  return { rt: runtime, lines: logged.lines };
}

async function submit(rt: Runtime, deliveryId: string): Promise<string[]> {
  const res = await rt.app.request('/_mock/prm/webhooks', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ event: 'mdf_request.submitted', mdf_number: 'MDF-1001', delivery_id: deliveryId }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { run_ids: string[] }).run_ids;
}

const approval = { recipe: 'mdf-request-approval', key: 'MDF-1001' };

describe('the lifecycle log at info', () => {
  it('logs an accepted webhook, the run starting, waiting, its escalation timer firing (D10), with run id, recipe, key and ISO times', async () => {
    const { rt, lines } = await loggedRuntime();
    const [runId] = await submit(rt, 'demo-1');
    await rt.engine.runUntilIdle();

    const ref = { runId, ...approval };
    expect(lines).toContainEqual(expect.objectContaining({ ...ref, msg: `webhook prm.mdf_request.submitted accepted: run started: ${runId} (mdf-request-approval) for MDF-1001`, deliveryId: 'demo-1' }));
    const waiting = lines.find((l) => l.runId === runId && l.msg.startsWith('run waiting'));
    expect(waiting).toMatchObject({ ...ref, level: 30, msg: expect.stringMatching(/^run waiting for \S+ until \d{4}-\d\d-\d\dT/), until: expect.stringMatching(/Z$/) });
    for (const line of lines) expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const advanced = await rt.app.request('/_mock/clock/advance', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ by: 'P5D' }) });
    expect(advanced.status).toBe(200);
    expect(lines).toContainEqual(expect.objectContaining({ ...ref, msg: expect.stringMatching(/^timer fired: \S+ timed out$/), timer: 'timeout' }));
    expect(JSON.stringify(lines)).not.toContain('mock-webhook-secret');
  });

  it("names a run of a recipe without dedup_key or concurrency_key by its record (the MDF number GET /runs?key= finds it by), not the delivery id", async () => {
    const { rt, lines } = await loggedRuntime();
    const res = await rt.app.request('/_mock/prm/webhooks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'mdf_request.status_changed', mdf_number: 'MDF-0901', status: 'Canceled', delivery_id: 'demo-2' }),
    });
    expect(res.status).toBe(202);
    await rt.engine.runUntilIdle();
    const notice = lines.filter((l) => l.recipe === 'mdf-request-decision-notice');
    expect(notice.map((l) => l.msg)).toContainEqual(expect.stringMatching(/^webhook prm\.mdf_request\.status_changed accepted: run started: \S+ \(mdf-request-decision-notice\) for MDF-0901/));
    expect(notice.length).toBeGreaterThanOrEqual(2);
    for (const line of notice) expect(line.key).toBe('MDF-0901');
    const listed = await rt.app.request('/runs?key=MDF-0901&recipe=mdf-request-decision-notice');
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { runs: Array<{ id: string }> }).runs.map((r) => r.id)).toEqual([notice[0]!.runId]);
  });

  it('logs "timer fired" with recipe, key, offset and date when a D14 claim reminder comes due', async () => {
    const { rt, lines } = await loggedRuntime();
    const res = await rt.app.request('/_mock/prm/webhooks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'mdf_request.status_changed', mdf_number: 'MDF-0901' }),
    });
    expect(res.status).toBe(202);
    await rt.app.request('/_mock/clock/advance', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ by: 'P40D' }) });
    await rt.engine.runUntilIdle();
    expect(lines).toContainEqual(
      expect.objectContaining({
        recipe: 'mdf-claim-reminder',
        key: 'MDF-0901',
        date: '2026-03-30',
        msg: expect.stringMatching(/^timer fired: mdf-claim-reminder for MDF-0901, offset \d+ after 2026-03-30$/),
        dueAt: expect.stringMatching(/Z$/),
      }),
    );
    // The delivery's line says what it did to the timers; the timer run's lines name the MDF number.
    const accepted = lines.find((l) => l.msg.startsWith('webhook prm.mdf_request.status_changed accepted'));
    expect(accepted?.msg).toMatch(/recomputed the timers of mdf-claim-reminder for MDF-0901$/);
    expect(accepted?.msg).not.toContain('no recipe is triggered by this event');
    expect(lines).toContainEqual(expect.objectContaining({ recipe: 'mdf-claim-reminder', key: 'MDF-0901', msg: 'run completed' }));
  });

  it('logs "run waiting" once per wait: a turn that leaves the run waiting where and until when it waited logs nothing (D10)', async () => {
    const { rt, lines } = await loggedRuntime();
    const [runId] = await submit(rt, 'demo-1');
    await rt.engine.runUntilIdle();
    const advanced = await rt.app.request('/_mock/clock/advance', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ by: 'P5D' }) });
    expect(advanced.status).toBe(200);
    await rt.engine.runUntilIdle();
    const waits = lines.filter((l) => l.runId === runId && l.msg.startsWith('run waiting')).map((l) => l.msg);
    expect(waits.length).toBeGreaterThanOrEqual(2); // the first approver's wait, then the escalated one
    for (const [i, msg] of waits.entries()) if (i > 0) expect(msg, `line ${i + 1} of ${JSON.stringify(waits)}`).not.toBe(waits[i - 1]);
  });

  it("logs a run started by another run (runs.start, the Salesforce sync of D1) under the starting run's business key, the MDF number", async () => {
    const { rt, lines } = await loggedRuntime();
    const [runId] = await submit(rt, 'demo-1');
    await rt.engine.runUntilIdle();
    const sync = lines.filter((l) => l.recipe === 'mdf-request-salesforce-sync');
    expect(sync.length).toBeGreaterThan(0);
    expect(sync).toContainEqual(expect.objectContaining({ trigger: 'run', key: 'MDF-1001', msg: 'run started: mdf-request-salesforce-sync for MDF-1001' }));
    for (const line of sync) expect(line.key).toBe('MDF-1001');
    const syncRuns = (await rt.store.listRuns({ limit: 10 })).filter((r) => r.recipe === 'mdf-request-salesforce-sync');
    expect(syncRuns[0]!.trigger).toMatchObject({ startedBy: runId, businessKey: 'MDF-1001' });
  });

  it('says why a new delivery of the same MDF number starts no run: runs are deduplicated by business key', async () => {
    const { rt, lines } = await loggedRuntime();
    const [first] = await submit(rt, 'demo-1');
    const [second] = await submit(rt, 'demo-2');
    expect(second).toBe(first);
    expect(lines).toContainEqual(
      expect.objectContaining({ runId: first, ...approval, deliveryId: 'demo-2', duplicate: false, msg: `webhook prm.mdf_request.submitted accepted: no new run: runs are deduplicated by business key, and MDF-1001 already has ${first} (mdf-request-approval)` }),
    );
    expect(lines.filter((l) => l.msg.includes('run started'))).toHaveLength(1);
  });

  it('logs the run completing once the approver decides (D11)', async () => {
    const { rt, lines } = await loggedRuntime();
    const [runId] = await submit(rt, 'demo-1');
    await rt.engine.runUntilIdle();
    const mailbox = (await (await rt.app.request('/_mock/mailbox?to=cmm.emea%40vendor.example')).json()) as { messages: Array<{ text: string }> };
    const link = new URL(/http:\/\/\S+\/approvals\/\S+\?decision=approve/.exec(mailbox.messages[0]!.text)![0]);
    await rt.app.request(link.pathname, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' });
    await rt.engine.runUntilIdle();
    expect(lines).toContainEqual(expect.objectContaining({ runId, ...approval, level: 30, msg: 'run completed' }));
  });

  it("names the recipe whose trigger filter refused a delivery: a request already decided is no longer Open (D11)", async () => {
    const { rt, lines } = await loggedRuntime();
    await submit(rt, 'demo-1');
    await rt.engine.runUntilIdle();
    const mailbox = (await (await rt.app.request('/_mock/mailbox?to=cmm.emea%40vendor.example')).json()) as { messages: Array<{ text: string }> };
    const link = new URL(/http:\/\/\S+\/approvals\/\S+\?decision=approve/.exec(mailbox.messages[0]!.text)![0]);
    await rt.app.request(link.pathname, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' });
    await rt.engine.runUntilIdle();
    expect(await submit(rt, 'demo-2')).toEqual([]);
    expect(lines).toContainEqual(
      expect.objectContaining({ deliveryId: 'demo-2', msg: "webhook prm.mdf_request.submitted accepted: no recipe starts on it: mdf-request-approval: filter `data.status = 'Open'` is false" }),
    );
  });

  it('says a repeated delivery id that started no run is a delivery already received, not that no recipe starts on it', async () => {
    const { rt, lines } = await loggedRuntime();
    const res = await rt.app.request('/_mock/prm/webhooks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'mdf_request.status_changed', mdf_number: 'MDF-1001', delivery_id: 'changed-1' }),
    });
    expect(res.status).toBe(202);
    const again = await rt.app.request('/_mock/prm/webhooks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'mdf_request.status_changed', mdf_number: 'MDF-1001', delivery_id: 'changed-1' }),
    });
    expect(await again.json()).toMatchObject({ duplicate: true, run_ids: [] });
    const repeated = lines.filter((l) => l.deliveryId === 'changed-1');
    expect(repeated).toHaveLength(2);
    expect(repeated[1]).toMatchObject({
      duplicate: true,
      msg: 'webhook prm.mdf_request.status_changed accepted: a delivery already received (same delivery id): no new run; recomputed the timers of mdf-claim-reminder for MDF-1001',
    });
    // The same without timers to touch: the line the reviewer read said no recipe is triggered by the event.
    const plain: Line[] = [];
    logLifecycle({ info: (fields: object, msg: string) => plain.push({ ...fields, msg } as Line) } as unknown as Logger)({
      type: 'webhook.accepted',
      event: 'prm.mdf_request.submitted',
      deliveryId: 'demo-9',
      duplicate: true,
      runs: [],
      filteredOut: [],
    });
    expect(plain).toEqual([expect.objectContaining({ duplicate: true, msg: 'webhook prm.mdf_request.submitted accepted: a delivery already received (same delivery id): no new run' })]);
  });

  it('says a resubmission is held back behind the approval of its MDF number still under way (concurrency_key), and which run it waits for', () => {
    const lines: Line[] = [];
    logLifecycle({ info: (fields: object, msg: string) => lines.push({ ...fields, msg } as Line) } as unknown as Logger)({
      type: 'webhook.accepted',
      event: 'prm.mdf_request.submitted',
      deliveryId: 'demo-2',
      duplicate: false,
      runs: [{ runId: asRunId('run_new'), ...approval, existing: false, heldBehind: asRunId('run_first') }],
    });
    expect(lines).toEqual([
      expect.objectContaining({
        runId: 'run_new',
        key: 'MDF-1001',
        msg: 'webhook prm.mdf_request.submitted accepted: run held back: run_new (mdf-request-approval) for MDF-1001 waits for run_first to finish (one run at a time per concurrency_key)',
      }),
    ]);
  });

  it('logs a run started by hand (partnerflow run, schedules) as it is created', async () => {
    const { rt, lines } = await loggedRuntime();
    const { id } = await rt.engine.startRun('mdf-request-approval', { mdfNumber: 'MDF-1001' }, { dedupKey: 'MDF-1001' });
    expect(lines).toContainEqual(expect.objectContaining({ runId: id, ...approval, trigger: 'manual', msg: 'run started: mdf-request-approval for MDF-1001' }));
  });
});
