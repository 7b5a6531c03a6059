import { describe, expect, it } from 'vitest';
import { useMockRuntime } from '../../test/support/mock-runtime.ts';
import { VirtualClock } from '../../server/engine/clock.ts';

/**
 * D22: what ops read of an import (`GET /runs/<run_id>`: each batch's created, updated and skipped, and
 * its journal note) stays true when Marketo stops a batch between its calls. The runtime `npm start`
 * builds (mock mode, the shipped lead-import recipe), with a clock the test moves.
 */
const startMockRuntime = useMockRuntime();

const CSV = [
  'email,first_name,last_name,company,phone,opted_in,crm_partner_id,event,visited_on',
  'new.one@client.example,New,One,Client,+1 555 0101,yes,,Cloud Summit Munich,2026-03-02',
  'known@client.example,Known,Lead,Client,+1 555 0102,yes,,Cloud Summit Munich,2026-03-02',
  'new.two@client.example,New,Two,Client,+1 555 0103,yes,,Cloud Summit Munich,2026-03-02',
  '',
].join('\n');

interface Step {
  stepKey: string;
  stepId: string;
  status: string;
  output: { created: number; updated: number; skipped: number; results: Array<{ index: number; status: string }> } | null;
  notes: string[];
  error: { message: string } | null;
}

describe('leads.import_batch across Marketo\'s daily quota (D22)', () => {
  it('D22: a 607 after the create call and before the update call: after the reset, the batch reports the leads it created as created and the one Marketo had as updated, none written twice', async () => {
    const clock = new VirtualClock('2026-03-02T15:00:00Z');
    const rt = await startMockRuntime({ clock });
    const systems = rt.systems!;
    // A lead Marketo has had since the morning.
    systems.marketo.addLead({ email: 'known@client.example', firstName: 'Known', lastName: 'Lead', leadSource: 'Website' });
    clock.advance(3600_000);
    // The batch's createOnly goes through; Marketo's quota runs out at the read of the lead it already has, before its updateOnly.
    systems.faults.inject({ system: 'marketo', kind: 'daily_quota', method: 'GET', path: '/rest/v1/leads.json' });

    const posted = await rt.app.request('/imports/leads', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: CSV });
    expect(posted.status).toBe(202);
    const { run_id: runId } = (await posted.json()) as { run_id: string };
    await rt.engine.runUntilIdle();

    const batch = async (): Promise<{ status: string; upsert: Step }> => {
      const res = await rt.app.request(`/runs/${runId}`);
      const body = (await res.json()) as { run: { status: string }; journal: Step[] };
      return { status: body.run.status, upsert: body.journal.find((s) => s.stepId === 'upsert')! };
    };
    const stopped = await batch();
    expect(stopped.status).toBe('waiting');
    expect(stopped.upsert.error?.message).toContain('the daily API quota is spent (error 607)');
    // Created, not yet updated: the two new leads are in Marketo already.
    expect(systems.marketo.leads().filter((l) => String(l.email).startsWith('new.'))).toHaveLength(2);

    // Marketo's quota resets at midnight US Central (06:00 UTC): the batch is tried again then.
    await rt.app.request('/_mock/clock/advance', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ by: 'PT16H' }) });
    await rt.engine.runUntilIdle();

    const done = await batch();
    expect(done.status).toBe('completed');
    expect(done.upsert.status).toBe('completed');
    expect(done.upsert.output).toMatchObject({ created: 2, updated: 1, skipped: 0 });
    expect(done.upsert.output!.results.map((r) => r.status)).toEqual(['created', 'updated', 'created']);
    expect(done.upsert.notes.at(-1)).toMatch(/^imported 3 leads: 2 created \(2 before Marketo stopped the batch, taken up again after\), 1 existing updated/);
    // Nothing doubled, and the lead Marketo had keeps its attribution.
    const leads = systems.marketo.leads();
    expect(leads.filter((l) => String(l.email).endsWith('@client.example'))).toHaveLength(3);
    expect(leads.find((l) => l.email === 'known@client.example')).toMatchObject({ leadSource: 'Website', firstName: 'Known' });
    expect(leads.find((l) => l.email === 'new.one@client.example')).toMatchObject({ leadSource: 'Booth Scan', firstName: 'New' });
  });
});
