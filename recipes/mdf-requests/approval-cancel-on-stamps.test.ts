import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CALENDAR } from '../../server/engine/business-calendar.ts';
import { systemClock } from '../../server/engine/clock.ts';
import { evaluateExpression } from '../../server/engine/expression.ts';

/**
 * D11, D12: mdf-request-approval's cancel_on, over every form of `updated` the PRM's records may carry
 * (PrmTimestamp: ISO with a zone or offset, ISO without one, `YYYY-MM-DD HH:MM:SS`, any fraction, or
 * null). A status event about an older state than the submission the run decides stops nothing; any
 * other Canceled event stops the run, also when a stamp cannot be compared (a filter that throws would
 * leave a canceled request's approval running).
 */
const recipe = JSON.parse(readFileSync(new URL('./mdf-request-approval.recipe.json', import.meta.url), 'utf8')) as { cancel_on: { filter: string } };
const env = { clock: systemClock, calendar: DEFAULT_CALENDAR };

async function cancels(event: { status: string; updated: string | null }, submittedUpdated: string | null, waitingFor: string | null = 'decision'): Promise<boolean> {
  const data = { mdfNumber: 'MDF-1', ...event };
  const trigger = { event: 'prm.mdf_request.status_changed', data, delivery_id: 'd-1' };
  const run = { id: 'run_1', recipe: 'mdf-request-approval', version: 31, started_at: '2026-03-02T11:00:00.000Z', waiting_for: waitingFor, trigger: { event: 'prm.mdf_request.submitted', data: { mdfNumber: 'MDF-1', status: 'Open', updated: submittedUpdated } } };
  return Boolean(await evaluateExpression(recipe.cancel_on.filter, { trigger, steps: {}, vars: {}, run, data, event: trigger.event }, env, trigger));
}

describe('mdf-request-approval cancel_on (D11, D12)', () => {
  it('a Canceled event newer than the submission, or as new, cancels; an older one (delivered late) does not, in every stamp form', async () => {
    for (const [older, submitted, newer] of [
      ['2026-03-02T10:00:00.000Z', '2026-03-02T11:05:00.000Z', '2026-03-02T11:30:00.000Z'],
      ['2026-03-02 10:00:00', '2026-03-02 11:05:00', '2026-03-02 11:30:00'],
      ['2026-03-02T10:00:00.1234567Z', '2026-03-02T11:05:00.1234567Z', '2026-03-02T11:30:00.1234567Z'],
      ['2026-03-02T11:00:00+01:00', '2026-03-02T11:05:00Z', '2026-03-02T12:30:00+01:00'],
      ['2026-03-02T10:00:00.000+0000', '2026-03-02T11:05:00.000+0000', '2026-03-02T11:30:00.000+0000'],
    ]) {
      expect(await cancels({ status: 'Canceled', updated: older! }, submitted!), `${older} before ${submitted}`).toBe(false);
      expect(await cancels({ status: 'Canceled', updated: newer! }, submitted!), `${newer} after ${submitted}`).toBe(true);
      expect(await cancels({ status: 'Canceled', updated: submitted! }, submitted!)).toBe(true);
      expect(await cancels({ status: 'Denied', updated: older! }, submitted!)).toBe(false);
      expect(await cancels({ status: 'Denied', updated: newer! }, submitted!)).toBe(true);
    }
  });

  it('a stamp that cannot be compared (none, or without seconds) never keeps a cancellation from stopping the run', async () => {
    expect(await cancels({ status: 'Canceled', updated: null }, '2026-03-02T11:05:00.000Z')).toBe(true);
    expect(await cancels({ status: 'Canceled', updated: '2026-03-02T10:00:00.000Z' }, null)).toBe(true);
    expect(await cancels({ status: 'Canceled', updated: '2026-03-02T10:00' }, '2026-03-02T11:05:00.000Z')).toBe(true);
  });

  it('Approved or Denied cancels only a run waiting for a decision (not the echo of its own write); Open never', async () => {
    expect(await cancels({ status: 'Approved', updated: '2026-03-02T11:30:00.000Z' }, '2026-03-02T11:05:00.000Z', null)).toBe(false);
    expect(await cancels({ status: 'Approved', updated: '2026-03-02T11:30:00.000Z' }, '2026-03-02T11:05:00.000Z', 'lead_decision')).toBe(true);
    expect(await cancels({ status: 'Open', updated: '2026-03-02T11:30:00.000Z' }, '2026-03-02T11:05:00.000Z')).toBe(false);
  });
});
