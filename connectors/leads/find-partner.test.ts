import { describe, expect, it } from 'vitest';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';
import { loadConfig } from '../../server/config.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { CONNECTORS } from '../index.ts';
import { capturingLogger, testContext, testDeps } from '../kit/action-test-context.ts';
import { prmConnector } from '../prm/index.ts';
import type { PrmClient } from '../prm/prm-client.ts';
import type { PrmConfig } from '../prm/prm-config.ts';
import { leadsConnector } from './index.ts';
import type { LeadsConnection } from './leads-connection.ts';

const clock = new VirtualClock('2026-03-02T09:00:00Z');
const systems = useSimulatedSystems(clock);

function connect(): LeadsConnection {
  const config = loadConfig({}, { mock: true, connectors: CONNECTORS }).connectors;
  const prm = prmConnector.connect(config.prm as PrmConfig, testDeps(clock, capturingLogger())) as PrmClient;
  const unused = () => {
    throw new Error('not used');
  };
  return { prm: () => prm, marketo: unused, salesforce: unused, config: config.leads as LeadsConnection['config'] };
}

async function find(crmPartnerId: string, notFound?: 'answer' | 'fail') {
  const definition = leadsConnector.actions.find_partner!;
  const { ctx } = testContext(connect(), clock);
  return definition.output.parse(await definition.run(definition.input.parse({ crm_partner_id: crmPartnerId, not_found: notFound }), ctx)) as { found: boolean; several: boolean; partner: { id: number } | null; reason: string | null };
}

describe('leads.find_partner (D20)', () => {
  it('D20: a CRM Partner ID two partner accounts have is no partner found: both are named, the older account does not win', async () => {
    systems.prm.addPartner({ id: 301, name: 'Old Co', type: 'Alliance', crmId: '0015e00000TIEPAAA5' });
    systems.prm.addPartner({ id: 302, name: 'New Co', type: 'Channel', crmId: '0015e00000TIEPAAA5' });
    expect(await find('0015e00000TIEPA')).toEqual({
      found: false,
      several: true,
      crm_partner_id: '0015e00000TIEPAAA5',
      partner: null,
      reason: 'several partners in the PRM have CRM Partner ID 0015e00000TIEPAAA5 (given as 0015e00000TIEPA): Old Co (PRM account 301) and New Co (PRM account 302); keep the Id on the partner the lead is for only',
    });
  });

  it('D20: a duplicate account with a type the domain does not know is still named as a duplicate, not a failed read', async () => {
    systems.prm.addPartner({ id: 301, name: 'Old Co', type: 'Channel', crmId: '0015e00000TIEPAAA5' });
    systems.prm.addPartner({ id: 302, name: 'Old Co (archived)', type: 'Reseller' as never, region: 'emea?', crmId: '0015e00000TIEPAAA5' });
    expect(await find('0015e00000TIEPAAA5')).toMatchObject({ found: false, several: true, reason: expect.stringContaining('Old Co (PRM account 301) and Old Co (archived) (PRM account 302)') });
  });

  it("D20: with not_found 'fail', no partner or several fail the step, not retried, naming the Id and the accounts", async () => {
    systems.prm.addPartner({ id: 301, name: 'Old Co', type: 'Alliance', crmId: '0015e00000TIEPAAA5' });
    systems.prm.addPartner({ id: 302, name: 'New Co', type: 'Channel', crmId: '0015e00000TIEPAAA5' });
    await expect(find('0015e00000TIEPA', 'fail')).rejects.toMatchObject({
      name: 'SeveralPartnersWithCrmId',
      retryable: false,
      message: expect.stringContaining('several partners in the PRM have CRM Partner ID 0015e00000TIEPAAA5 (given as 0015e00000TIEPA): Old Co (PRM account 301) and New Co (PRM account 302)'),
    });
    await expect(find('0015e00000NOONE', 'fail')).rejects.toMatchObject({ name: 'NoPartnerWithCrmId', retryable: false, message: expect.stringMatching(/^no partner in the PRM has CRM Partner ID 0015e00000NOONE[A-Z0-5]{3} \(given as 0015e00000NOONE\)$/) });
    await expect(find('not an id', 'fail')).rejects.toMatchObject({ name: 'NoPartnerWithCrmId', message: expect.stringContaining('not an id') });
  });

  it("D20: with not_found 'fail', the one partner with the Id is answered as without it", async () => {
    systems.prm.addPartner({ id: 301, name: 'Only Co', type: 'Channel', crmId: '0015e00000TIEPAAA5' });
    expect(await find('0015e00000TIEPA', 'fail')).toMatchObject({ found: true, several: false, partner: { id: 301 }, reason: null });
  });

  it('D20: one partner with the Id is found, as before', async () => {
    systems.prm.addPartner({ id: 301, name: 'Only Co', type: 'Channel', crmId: '0015e00000TIEPAAA5' });
    expect(await find('0015e00000TIEPAAA5')).toMatchObject({ found: true, several: false, partner: { id: 301 }, reason: null });
  });

  it('D21: a partner name typed on two lines in the PRM is answered on one line, for the one-line interesting moment', async () => {
    systems.prm.addPartner({ id: 301, name: 'Northwind\r\n  Cloud', type: 'Channel', crmId: '0015e00000TIEPAAA5' });
    expect(await find('0015e00000TIEPAAA5')).toMatchObject({ found: true, partner: { id: 301, name: 'Northwind Cloud' } });
  });

  it('D20: a partner whose own record cannot be read fails the step naming the field, as before', async () => {
    systems.prm.addPartner({ id: 301, name: 'Odd Co', type: 'Reseller' as never, crmId: '0015e00000TIEPAAA5' });
    await expect(find('0015e00000TIEPAAA5')).rejects.toThrow(/data\.results\[0\]\.type/);
  });
});
