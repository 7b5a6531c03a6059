import { describe, expect, it } from 'vitest';
import { useLeadsOverSimulatedMarketo } from '../../test/support/leads-over-simulated-marketo.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { testContext } from '../kit/action-test-context.ts';
import { leadsConnector } from './index.ts';

const clock = new VirtualClock('2026-03-02T09:00:00Z');
const { systems, connect } = useLeadsOverSimulatedMarketo(clock);

async function find(email: string) {
  const definition = leadsConnector.actions.find_marketo_lead!;
  const { ctx, notes } = testContext(connect(), clock);
  const output = definition.output.parse(await definition.run(definition.input.parse({ email }), ctx)) as { id: number; phone: string | null; first_name: string | null; last_name: string | null; company: string | null; leads: Array<Record<string, unknown>> };
  return { output, notes };
}

describe('leads.find_marketo_lead (D20)', () => {
  it('D20, D27: lists every Marketo lead of a duplicated email, each with what a share records, and notes them as duplicates to merge', async () => {
    const first = systems.marketo.addLead({ email: 'twin@client.example', marketingSuspended: true });
    const second = systems.marketo.addLead({ email: 'Twin@client.example', phone: '+1 555 0188', impartnerPartnerAccount: '102', marketingSuspended: true, marketingSuspendedBeforeShare: false });
    const { output, notes } = await find('TWIN@client.example');
    expect(output).toMatchObject({ id: first.id, phone: '+1 555 0188' });
    expect(output.leads).toEqual([
      { id: first.id, impartner_partner_account: null, marketing_suspended: true, marketing_suspended_before_share: null },
      { id: second.id, impartner_partner_account: '102', marketing_suspended: true, marketing_suspended_before_share: false },
    ]);
    expect(notes).toContain(`2 Marketo leads have twin@client.example (${first.id}, ${second.id}): duplicates to merge`);
  });

  it('answers one lead in leads when Marketo has one', async () => {
    const only = systems.marketo.addLead({ email: 'one@client.example' });
    const { output } = await find('one@client.example');
    expect(output.leads.map((l) => l.id)).toEqual([only.id]);
  });

  it('D20: answers the names and company Marketo has (of any duplicate), so a share without them keeps them; none is null', async () => {
    systems.marketo.addLead({ email: 'named@client.example', company: '  ' });
    systems.marketo.addLead({ email: 'Named@client.example', firstName: 'Wes', lastName: 'Vale', company: 'Contoso Pharma' });
    systems.marketo.addLead({ email: 'bare@client.example' });
    expect((await find('named@client.example')).output).toMatchObject({ first_name: 'Wes', last_name: 'Vale', company: 'Contoso Pharma' });
    expect((await find('bare@client.example')).output).toMatchObject({ first_name: null, last_name: null, company: null });
  });
});
