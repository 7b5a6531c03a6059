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

async function write(connection: LeadsConnection, leadId: number, since = '2026-03-02T08:00:00Z') {
  const definition = leadsConnector.actions.write_interesting_moment!;
  const { ctx } = testContext(connection, clock);
  return definition.output.parse(await definition.run(definition.input.parse({ campaign_id: 3001, lead_id: leadId, text: TEXT, since }), ctx)) as { written: boolean };
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
});
