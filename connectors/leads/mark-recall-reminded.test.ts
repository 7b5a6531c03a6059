import { beforeEach, describe, expect, it } from 'vitest';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';
import { loadConfig } from '../../server/config.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { CONNECTORS } from '../index.ts';
import { testContext, testDeps } from '../kit/action-test-context.ts';
import { prmConnector } from '../prm/index.ts';
import type { PrmClient } from '../prm/prm-client.ts';
import type { PrmConfig } from '../prm/prm-config.ts';
import { ServerError } from '../kit/http-errors.ts';
import { leadsConnector } from './index.ts';
import type { LeadsConnection } from './leads-connection.ts';

const clock = new VirtualClock('2026-03-26T07:30:00Z');
beforeEach(() => clock.set('2026-03-26T07:30:00Z'));
const systems = useSimulatedSystems(clock);
const SYNCED = '2026-03-02T10:00:00Z';

function connect(): LeadsConnection {
  const config = loadConfig({}, { mock: true, connectors: CONNECTORS }).connectors;
  const prm = prmConnector.connect(config.prm as PrmConfig, testDeps(clock)) as PrmClient;
  const none = () => {
    throw new Error('leads.mark_recall_reminded calls only the PRM');
  };
  return { prm: () => prm, marketo: none, salesforce: none, config: config.leads as LeadsConnection['config'] } as LeadsConnection;
}

describe('leads.mark_recall_reminded (D24)', () => {
  it('an attempt after a partial failure stamps only the leads not stamped yet: the ones the failed attempt stamped keep their date', async () => {
    const leads = ['ana', 'ava', 'amy'].map((name) => systems.prm.addLead({ email: `${name}@client.example`, phone: '+49 30 1000', partnerAccountId: 101, partnerSyncedDate: SYNCED, created: SYNCED, updated: SYNCED }));
    const listed = leads.map((lead) => ({ id: lead.id, email: lead.email, recallReminderDate: null }));
    const connection = connect();
    const definition = leadsConnector.actions.mark_recall_reminded!;
    // The PRM fails Ava's PATCH on every attempt of the client's call (3).
    systems.faults.inject({ system: 'prm', kind: 'server_error', method: 'PATCH', path: `/Lead/${leads[1]!.id}`, times: 3 });
    let kept: unknown;
    const first = testContext(connection, clock).ctx;
    first.saveProgress = async (progress) => {
      kept = structuredClone(progress);
    };
    const error = await definition.run(definition.input.parse({ leads: listed, at: '2026-03-26T07:30:00.000Z' }), first).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    const dates = () => Object.fromEntries(systems.prm.leads().map((lead) => [lead.email, lead.recallReminderDate]));
    expect(dates()).toMatchObject({ 'ana@client.example': '2026-03-26T07:30:00.000Z', 'ava@client.example': null, 'amy@client.example': null });

    // Retried 2 hours later. Even given a later time (a run of lead-recall v16 takes $now() at each
    // attempt), Ana keeps the date of the email; only Ava and Amy are stamped.
    clock.set('2026-03-26T09:30:00Z');
    const second = testContext(connection, clock);
    second.ctx.progress = kept;
    const output = definition.output.parse(await definition.run(definition.input.parse({ leads: listed, at: '2026-03-26T09:30:00.000Z' }), second.ctx));
    expect(output).toEqual({ marked: 3 });
    expect(dates()).toMatchObject({ 'ana@client.example': '2026-03-26T07:30:00.000Z', 'ava@client.example': '2026-03-26T09:30:00.000Z', 'amy@client.example': '2026-03-26T09:30:00.000Z' });
    expect(second.notes).toEqual(['3 leads marked reminded at 2026-03-26T09:30:00.000Z (1 by an earlier attempt, not stamped again)']);
  });
});
