import { afterEach, describe, expect, it } from 'vitest';
import { createLoggedRuntime } from '../../test/support/logged-runtime.ts';
import type { Runtime } from '../runtime.ts';

/** What an operator reads at `info` when an approver clicks, and when an email leaves: which run, recipe and request. */
let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

describe('log lines of an approval click and of a sent email', () => {
  it('names the run, the recipe and the business key (the MDF number) of the click; a sent email names its run and its outbox key, not as `key`', async () => {
    const logged = await createLoggedRuntime();
    runtime = logged.runtime;
    const { lines } = logged;
    const submitted = await runtime.app.request('/_mock/prm/webhooks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'mdf_request.submitted', mdf_number: 'MDF-1001' }),
    });
    const [runId] = ((await submitted.json()) as { run_ids: string[] }).run_ids;
    await runtime.engine.runUntilIdle();

    const mailbox = await (await runtime.app.request('/_mock/mailbox?to=cmm.emea@vendor.example')).text();
    const link = /http:\/\/[^"\s\\]*\/approvals\/([A-Za-z0-9_-]+)\?decision=approve/.exec(mailbox);
    expect(link, 'an approval link in the CMM mailbox').not.toBeNull();
    const decided = await runtime.app.request(`/approvals/${link![1]}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' });
    expect(decided.status).toBe(200);

    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'approval link used: approve (decided) for MDF-1001', runId, recipe: 'mdf-request-approval', key: 'MDF-1001', signal: 'decision' }),
    );
    const sent = lines.filter((l) => l.msg.startsWith('email sent'));
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent).toContainEqual(expect.objectContaining({ msg: 'email sent: mdf-approval-request', runId, outboxKey: `${runId}:ask_approver` }));
    for (const line of sent) expect(line).not.toHaveProperty('key');
  });
});
