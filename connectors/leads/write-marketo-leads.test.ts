import { describe, expect, it } from 'vitest';
import { useLeadsOverSimulatedMarketo } from '../../test/support/leads-over-simulated-marketo.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { testContext } from '../kit/action-test-context.ts';
import { MARKETO_ACTIVITY_TYPES } from '../marketo/marketo-lead-fields.ts';
import { leadsConnector } from './index.ts';

const clock = new VirtualClock('2026-03-02T09:00:00Z');
const { systems, connect } = useLeadsOverSimulatedMarketo(clock);

/** The step's output and notes, and the Marketo calls it made. */
async function write(input: Record<string, unknown>) {
  const definition = leadsConnector.actions.write_marketo_leads!;
  const { ctx, notes } = testContext(connect(), clock);
  const before = systems.marketo.usage().calls;
  const output = definition.output.parse(await definition.run(definition.input.parse(input), ctx)) as { ids: number[]; read_again: boolean };
  return { output, notes, calls: systems.marketo.usage().calls - before };
}

const changesOf = (leadId: number, label: string) =>
  systems.marketo.activities().filter((a) => a.leadId === leadId && a.activityTypeId === MARKETO_ACTIVITY_TYPES.changeDataValue.id && a.primaryAttributeValue === label);

const share = { crmPartnerID: '0015e00000NWCLD001', impartnerPartnerAccount: '101', partnerConsent: true, marketingSuspended: true, partnerType: 'Channel' };

describe('leads.write_marketo_leads (D20, D23, D27)', () => {
  it('D20, D27: writes the leads an earlier step read, by id, duplicates each, in one call and no read', async () => {
    const a = systems.marketo.addLead({ email: 'twin@client.example', marketingSuspended: false });
    const b = systems.marketo.addLead({ email: 'twin@client.example', marketingSuspended: true });
    const leads = [
      { id: a.id, impartner_partner_account: null, marketing_suspended: false, marketing_suspended_before_share: null },
      { id: b.id, impartner_partner_account: null, marketing_suspended: true, marketing_suspended_before_share: null },
    ];
    const { output, calls } = await write({ email: 'Twin@client.example', leads, set: share, record_marketing_suspended_before_share: true });
    expect(output).toEqual({ ids: [a.id, b.id], read_again: false });
    expect(calls).toBe(1);
    expect(systems.marketo.lead(a.id)).toMatchObject({ impartnerPartnerAccount: '101', marketingSuspended: true, marketingSuspendedBeforeShare: false });
    expect(systems.marketo.lead(b.id)).toMatchObject({ impartnerPartnerAccount: '101', marketingSuspended: true, marketingSuspendedBeforeShare: true });
  });

  it('D20, D27: a lead merged away since it was read (1004) makes it read the leads of the email again: the lead that remains has the fields, each written once, also when the step runs again', async () => {
    const lost = systems.marketo.addLead({ email: 'twin@client.example', marketingSuspended: false });
    const kept = systems.marketo.addLead({ email: 'twin@client.example', marketingSuspended: false });
    const read = [lost, kept].map((l) => ({ id: l.id, impartner_partner_account: null, marketing_suspended: false }));
    systems.marketo.mergeLeads(kept.id, [lost.id]);
    const first = await write({ email: 'twin@client.example', leads: read, set: share, record_marketing_suspended_before_share: true });
    expect(first.output).toEqual({ ids: [kept.id], read_again: true });
    expect(first.notes).toContain(`Marketo no longer has lead ${lost.id} of twin@client.example (1004: merged or deleted since it was read): reading its leads again`);
    // The lead that remains was written by the first call: the read finds nothing more to write.
    expect(first.calls).toBe(2);
    // The same step again (a retry of the run with the same ids read at its start): nothing changes twice.
    const again = await write({ email: 'twin@client.example', leads: read, set: share, record_marketing_suspended_before_share: true });
    expect(again.output).toEqual({ ids: [kept.id], read_again: true });
    expect(systems.marketo.findLeads('email', 'twin@client.example')).toEqual([expect.objectContaining({ id: kept.id, impartnerPartnerAccount: '101', marketingSuspended: true, marketingSuspendedBeforeShare: false })]);
    expect(changesOf(kept.id, 'Impartner Partner Account')).toHaveLength(1);
    expect(changesOf(kept.id, 'Marketing Suspended')).toHaveLength(1);
  });

  it('D23: given ids only, a lead that remains after a merge the earlier write never saw gets the value too', async () => {
    const lost = systems.marketo.addLead({ email: 'ann@client.example' });
    const kept = systems.marketo.addLead({ email: 'ann@client.example' });
    systems.marketo.mergeLeads(kept.id, [lost.id]);
    const { output } = await write({ email: 'ann@client.example', leads: [{ id: lost.id }], set: { partnerSyncedDate: '2026-03-02T09:00:00Z' } });
    expect(output).toEqual({ ids: [kept.id], read_again: true });
    expect(systems.marketo.lead(kept.id)).toMatchObject({ partnerSyncedDate: '2026-03-02T09:00:00Z' });
  });

  it('D25, D27: without the leads, reads them first; a lead a partner holds keeps the Marketing Suspended Before Share its first share recorded', async () => {
    const held = systems.marketo.addLead({ email: 'bo@client.example', impartnerPartnerAccount: '102', marketingSuspended: true, marketingSuspendedBeforeShare: false });
    const { output, calls } = await write({ email: 'bo@client.example', set: share, record_marketing_suspended_before_share: true });
    expect(output).toEqual({ ids: [held.id], read_again: false });
    expect(calls).toBe(2);
    expect(systems.marketo.lead(held.id)).toMatchObject({ impartnerPartnerAccount: '101', marketingSuspendedBeforeShare: false });
  });

  it('a value Marketo refuses (1003) fails the step, not retried, naming the lead and the reason; no lead with the email is LeadNotInMarketo', async () => {
    const lead = systems.marketo.addLead({ email: 'cy@client.example' });
    const failed = write({ email: 'cy@client.example', leads: [{ id: lead.id }], set: { partnerConsent: 'yes' } });
    await expect(failed).rejects.toMatchObject({ name: 'MarketoLeadsSkipped', retryable: false });
    await expect(failed).rejects.toThrow(`marketo: the updateOnly by id skipped 1 of 1 lead (id ${lead.id}: 1003 Invalid value 'yes' for field 'partnerConsent' (boolean))`);
    await expect(write({ email: 'nobody@client.example', set: { partnerConsent: true } })).rejects.toMatchObject({ name: 'LeadNotInMarketo' });
  });

  it("a lead merged between the step's own read and its write fails the attempt, retryable: the next attempt reads again", async () => {
    const lost = systems.marketo.addLead({ email: 'di@client.example' });
    const kept = systems.marketo.addLead({ email: 'di@client.example' });
    let calls = 0;
    // Ops merge while the write is on its way: after the read, before Marketo handles the write.
    systems.marketo.setLatency(async () => {
      calls += 1;
      if (calls === 2) systems.marketo.mergeLeads(kept.id, [lost.id]);
    });
    await expect(write({ email: 'di@client.example', set: { partnerConsent: true } })).rejects.toMatchObject({ name: 'MarketoLeadsSkipped', retryable: true, message: expect.stringContaining('merged or deleted since it was read; the next attempt reads the leads of di@client.example again') });
    systems.marketo.setLatency(null);
    expect((await write({ email: 'di@client.example', set: { partnerConsent: true } })).output).toEqual({ ids: [kept.id], read_again: false });
  });
});
