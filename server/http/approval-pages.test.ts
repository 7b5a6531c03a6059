import { describe, expect, it } from 'vitest';
import { closedPage, decidedPage } from './approval-pages.ts';

describe('the page after a decision', () => {
  it('D10, D12: says the decision was recorded and will be applied, not what the request now is (it may have been canceled meanwhile)', async () => {
    for (const decision of ['approve', 'deny'] as const) {
      const page = String(await decidedPage('MDF-2302: Cloud Summit Munich (Northwind Cloud)', decision));
      expect(page).toContain(`Your decision to ${decision} was recorded and will be applied to the request.`);
      expect(page).toContain('MDF-2302: Cloud Summit Munich (Northwind Cloud)');
      expect(page).not.toMatch(/The request is (approved|denied)/);
    }
  });

  it('escapes the subject, which comes from partner-entered records', async () => {
    const page = String(await decidedPage('<script>alert(1)</script>', 'approve'));
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;script&gt;');
  });
});

describe('the page of a closed request', () => {
  const subject = 'MDF-1001: Cloud Summit Munich (Northwind Cloud)';
  const timedOut = Date.parse('2026-03-18T09:00:00Z');
  const ended = Date.parse('2026-03-18T09:10:00Z');
  const handedOn = 'The decision is now made in the PRM by the team that runs the programme.';

  it('D10: after the run completed undecided (its last wait timed out), says the decision is now made in the PRM', async () => {
    const page = String(await closedPage(subject, { status: 'completed', finishedAt: ended }, timedOut, 'Europe/Berlin'));
    expect(page).toContain('it stopped waiting on Wednesday 18 March 2026, 10:00 (Europe/Berlin), went on without a decision and has ended on Wednesday 18 March 2026, 10:10 (Europe/Berlin).');
    expect(page).toContain(handedOn);
  });

  it('D10: says nothing of the PRM when the run has not ended yet, failed, was canceled, or ended without a timeout', async () => {
    const pages = [
      closedPage(subject, { status: 'waiting', finishedAt: null }, timedOut, 'Europe/Berlin'),
      closedPage(subject, { status: 'failed', finishedAt: ended }, timedOut, 'Europe/Berlin'),
      closedPage(subject, { status: 'canceled', finishedAt: ended }, null, 'Europe/Berlin'),
      closedPage(subject, { status: 'completed', finishedAt: ended }, null, 'Europe/Berlin'),
    ];
    for (const page of pages) expect(String(await page)).not.toContain(handedOn);
  });

  it('D12: writes the reason a run was canceled for as a sentence of its own before what followed', async () => {
    const page = async (reason: string) => String(await closedPage(subject, { status: 'canceled', finishedAt: ended }, null, 'Europe/Berlin', reason));
    expect(await page('canceled by an operator')).toContain('Canceled by an operator. It stopped waiting for a decision here on Wednesday 18 March 2026, 10:10 (Europe/Berlin)');
    expect(await page('Already decided in the PRM: it is Approved there.')).toContain('Already decided in the PRM: it is Approved there. It stopped waiting');
  });
});
