import { describe, expect, it } from 'vitest';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';
import { useTestStore } from '../../test/support/test-store.ts';
import { loadConfig } from '../../server/config.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { CONNECTORS } from '../index.ts';
import { capturingLogger, testContext, testDeps } from '../kit/action-test-context.ts';
import { marketoConnector } from '../marketo/index.ts';
import type { MarketoConfig } from '../marketo/marketo-config.ts';
import type { MarketoConnection } from '../marketo/marketo-connection.ts';
import { MARKETO_ACTIVITY_TYPES } from '../marketo/marketo-lead-fields.ts';
import { leadsConnector } from './index.ts';
import type { LeadsConnection } from './leads-connection.ts';

const clock = new VirtualClock('2026-03-02T09:00:00Z');
const systems = useSimulatedSystems(clock);
const store = useTestStore();
const TEXT = 'CHANNEL LEAD with Northwind Cloud visited Booth at Cloud Expo on 2026-03-02';

function connect(): LeadsConnection {
  const config = loadConfig({}, { mock: true, connectors: CONNECTORS }).connectors;
  const marketo = marketoConnector.connect(config.marketo as MarketoConfig, testDeps(clock, capturingLogger(), store())) as MarketoConnection;
  return { prm: () => { throw new Error('not used'); }, marketo: () => marketo, salesforce: () => { throw new Error('not used'); }, config: config.leads as LeadsConnection['config'] };
}

async function write(connection: LeadsConnection, leadId: number, since = '2026-03-02T08:00:00Z', email?: string) {
  const definition = leadsConnector.actions.write_interesting_moment!;
  const { ctx } = testContext(connection, clock);
  const { written } = definition.output.parse(await definition.run(definition.input.parse({ campaign_id: 3001, lead_id: leadId, email, text: TEXT, since }), ctx)) as { written: boolean; lead_id: number };
  return { written };
}

async function writeFollowing(connection: LeadsConnection, leadId: number, email: string) {
  const definition = leadsConnector.actions.write_interesting_moment!;
  const { ctx, notes } = testContext(connection, clock);
  const output = definition.output.parse(await definition.run(definition.input.parse({ campaign_id: 3001, lead_id: leadId, email, text: TEXT, since: '2026-03-02T08:00:00Z' }), ctx)) as { written: boolean; lead_id: number };
  return { output, notes };
}

const momentsOf = (leadId: number) => systems.marketo.activities().filter((a) => a.leadId === leadId && a.activityTypeId === MARKETO_ACTIVITY_TYPES.interestingMoment.id);

describe('leads.write_interesting_moment (D21)', () => {
  it('D21: a retry after a trigger that took effect (its answer lost) writes no second moment', async () => {
    const connection = connect();
    const lead = systems.marketo.addLead({ email: 'one@client.example' });
    expect(await write(connection, lead.id)).toEqual({ written: true });
    // The same step again, as the engine retries it when the first answer was a timeout or a 500.
    expect(await write(connection, lead.id)).toEqual({ written: false });
    expect(momentsOf(lead.id).map((m) => m.primaryAttributeValue)).toEqual([TEXT]);
  });

  it('D21: a moment with another text, or from before the run, does not stop this one', async () => {
    const connection = connect();
    const lead = systems.marketo.addLead({ email: 'two@client.example' });
    expect(await write(connection, lead.id, '2026-03-02T08:00:00Z')).toEqual({ written: true });
    clock.set('2026-03-09T09:00:00Z');
    // A later routing run of the same text (e.g. ops re-route a week later) starts looking at its own start.
    expect(await write(connection, lead.id, '2026-03-09T08:59:00Z')).toEqual({ written: true });
    expect(momentsOf(lead.id)).toHaveLength(2);
  });

  it('D21: a lead merged away since it was read (the trigger answers 1004) gets the moment on the lead of the email that remains, once, with `email`', async () => {
    const connection = connect();
    const lost = systems.marketo.addLead({ email: 'twin@client.example' });
    const kept = systems.marketo.addLead({ email: 'twin@client.example' });
    systems.marketo.mergeLeads(kept.id, [lost.id]);
    const first = await writeFollowing(connection, lost.id, 'twin@client.example');
    expect(first.output).toEqual({ written: true, lead_id: kept.id });
    expect(first.notes).toContain(`Marketo no longer has lead ${lost.id} (1004: merged or deleted since it was read): the moment goes on lead ${kept.id} of twin@client.example`);
    // The step again (a retry): the moment is found on the lead that remains, not triggered twice.
    expect((await writeFollowing(connection, lost.id, 'twin@client.example')).output).toEqual({ written: false, lead_id: kept.id });
    expect(momentsOf(kept.id)).toHaveLength(1);
  });

  it('without `email`, a lead Marketo no longer has fails the step naming 1004, as before', async () => {
    const gone = systems.marketo.addLead({ email: 'gone@client.example' });
    const other = systems.marketo.addLead({ email: 'gone@client.example' });
    systems.marketo.mergeLeads(other.id, [gone.id]);
    await expect(write(connect(), gone.id)).rejects.toThrow(/Marketo error 1004/);
  });
});
