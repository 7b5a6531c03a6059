import { describe, expect, it } from 'vitest';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { budgetedCost } from '../../schemas/domain/partner-campaign.ts';
import { capturingLogger, testContext, testDeps } from '../kit/action-test-context.ts';
import { ServerError, ValidationError } from '../kit/http-errors.ts';
import { salesforceConnector } from './index.ts';
import { SALESFORCE_MOCK_CONFIG, SalesforceConfig } from './salesforce-config.ts';
import type { SalesforceConnection } from './salesforce-connection.ts';

const clock = new VirtualClock('2026-04-20T09:00:00Z');
const log = capturingLogger();
const systems = useSimulatedSystems(clock);

function connect(): SalesforceConnection {
  return salesforceConnector.connect(SalesforceConfig.parse(SALESFORCE_MOCK_CONFIG), testDeps(clock, log)) as SalesforceConnection;
}

/** Runs the action the way the engine does: input parsed by its schema, output checked by its schema. */
async function upsertCampaign(input: unknown, connection: SalesforceConnection = connect()) {
  const definition = salesforceConnector.actions.upsert_campaign!;
  const { ctx, notes } = testContext(connection, clock, { log });
  const output = await definition.run(definition.input.parse(input), ctx);
  return { output: definition.output.parse(output) as { id: string; created: boolean }, notes };
}

const campaign = (extra: Record<string, unknown> = {}) => ({
  name: 'MDF-7101: Cloud Summit Munich',
  budgeted_cost: 20_000,
  start_date: '2026-04-14',
  end_date: '2026-04-15',
  partner_involved: 'Yes',
  partner_name: 'Northwind Cloud',
  ...extra,
});
const campaigns = () => systems.salesforce.records('Campaign');

describe('salesforce.upsert_campaign (D28, D29)', () => {
  it('creates the partner campaign keyed by the MDF number, then updates the same one (D1: never two)', async () => {
    const first = await upsertCampaign({ mdf_number: 'MDF-7101', campaign: campaign() });
    expect(first.output).toEqual({ id: expect.stringMatching(/^701[A-Za-z0-9]{15}$/), created: true });
    expect(campaigns()).toEqual([
      expect.objectContaining({
        Id: first.output.id,
        Name: 'MDF-7101: Cloud Summit Munich',
        BudgetedCost: 20_000,
        StartDate: '2026-04-14',
        EndDate: '2026-04-15',
        IsActive: true,
        Channel_Partner_Involved__c: 'Yes',
        Channel_Partner_Name__c: 'Northwind Cloud',
        MDF_Number__c: 'MDF-7101',
      }),
    ]);
    expect(first.notes).toContain(`created Campaign ${first.output.id} (MDF_Number__c = MDF-7101): Budgeted Cost 20000, Northwind Cloud`);

    const again = await upsertCampaign({ mdf_number: 'MDF-7101', campaign: campaign({ budgeted_cost: 18_000 }) });
    expect(again.output).toEqual({ id: first.output.id, created: false });
    expect(campaigns()).toEqual([expect.objectContaining({ Id: first.output.id, BudgetedCost: 18_000 })]);
  });

  it('D28: a total cost of 0 (or none) is stored as a Budgeted Cost of 1; a Budgeted Cost under 1 is refused before Salesforce is called', async () => {
    expect([budgetedCost(0), budgetedCost(null), budgetedCost(undefined), budgetedCost(0.5), budgetedCost(1), budgetedCost(2500)]).toEqual([1, 1, 1, 1, 1, 2500]);
    await expect(upsertCampaign({ mdf_number: 'MDF-7102', campaign: campaign({ budgeted_cost: 0 }) })).rejects.toThrow(/D28: a partner campaign has a Budgeted Cost of at least 1/);
    expect(campaigns()).toEqual([]);
  });

  it("D28: the simulated org's validation rule refuses a Budgeted Cost under 1 written around the connector", async () => {
    const error = await connect()
      .client.upsert('Campaign', 'MDF_Number__c', 'MDF-7103', { Name: 'MDF-7103: Webinar', BudgetedCost: 0 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ retryable: false, code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION' });
    expect((error as Error).message).toMatch(/Budgeted Cost in Campaign must be at least 1 \(BudgetedCost\)$/);
  });

  it('D29: Is a Channel Partner Involved is a restricted picklist Yes | No', async () => {
    await expect(upsertCampaign({ mdf_number: 'MDF-7104', campaign: campaign({ partner_involved: 'Maybe' }) })).rejects.toThrow(/partner_involved/);
    const error = await connect()
      .client.upsert('Campaign', 'MDF_Number__c', 'MDF-7104', { Name: 'MDF-7104: Webinar', Channel_Partner_Involved__c: 'Maybe' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ retryable: false, code: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST' });
    expect(campaigns()).toEqual([]);
  });

  it('gets a new session and repeats the call once when the token has expired, still one campaign', async () => {
    const connection = connect();
    const first = await upsertCampaign({ mdf_number: 'MDF-7105', campaign: campaign() }, connection);
    systems.faults.inject({ system: 'salesforce', kind: 'expired_token' });
    const { output, notes } = await upsertCampaign({ mdf_number: 'MDF-7105', campaign: campaign({ partner_name: 'Northwind Cloud GmbH' }) }, connection);
    expect(output).toEqual({ id: first.output.id, created: false });
    expect(campaigns()).toEqual([expect.objectContaining({ Channel_Partner_Name__c: 'Northwind Cloud GmbH' })]);
    expect(notes.join('\n')).toMatch(/session expired; got a new token/);
  });

  it('fails with a retryable ServerError when the org keeps failing, and the retry after it makes one campaign', async () => {
    systems.faults.inject({ system: 'salesforce', kind: 'server_error', times: 5 });
    const error = await upsertCampaign({ mdf_number: 'MDF-7106', campaign: campaign() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ retryable: true });
    expect(campaigns()).toEqual([]);
    await upsertCampaign({ mdf_number: 'MDF-7106', campaign: campaign() });
    await upsertCampaign({ mdf_number: 'MDF-7106', campaign: campaign() });
    expect(campaigns()).toHaveLength(1);
  });

  it('two syncs of one request at the same time end with one campaign', async () => {
    const [a, b] = await Promise.all([
      upsertCampaign({ mdf_number: 'MDF-7107', campaign: campaign() }),
      upsertCampaign({ mdf_number: 'MDF-7107', campaign: campaign() }),
    ]);
    expect(a.output.id).toBe(b.output.id);
    expect([a.output.created, b.output.created].sort()).toEqual([false, true]);
    expect(campaigns()).toHaveLength(1);
  });
});
