import { describe, expect, it } from 'vitest';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { capturingLogger, testContext, testDeps } from '../kit/action-test-context.ts';
import { prmConnector } from '../prm/index.ts';
import type { PrmClient } from '../prm/prm-client.ts';
import { PRM_MOCK_CONFIG, PrmConfig } from '../prm/prm-config.ts';
import { salesforceConnector } from '../salesforce/index.ts';
import type { SalesforceClient } from '../salesforce/salesforce-client.ts';
import { SALESFORCE_MOCK_CONFIG, SalesforceConfig } from '../salesforce/salesforce-config.ts';
import type { SalesforceConnection } from '../salesforce/salesforce-connection.ts';
import { mdfConnector } from './index.ts';
import type { MdfConnection } from './sync-fund-request.ts';
import { useSyncBases } from './sync-bases-fixture.ts';
import { MDF_MOCK_CONFIG, claimPortalUrl } from './mdf-config.ts';

const clock = new VirtualClock('2026-04-20T09:00:00Z');
const log = capturingLogger();

const systems = useSimulatedSystems(clock);
const syncBases = useSyncBases();

/**
 * The MDF connection to the simulated PRM and Salesforce, with `afterUpsert` called once each Funds
 * Request upsert has been answered: a decision made in the PRM while the sync's write was under way. (The
 * partner Campaign an approved request also gets, D28, is written before it and does not count.)
 */
function connect(afterUpsert: () => void): MdfConnection {
  const prm = prmConnector.connect(PrmConfig.parse(PRM_MOCK_CONFIG), testDeps(clock, log)) as PrmClient;
  const salesforce = salesforceConnector.connect(SalesforceConfig.parse(SALESFORCE_MOCK_CONFIG), testDeps(clock, log)) as SalesforceConnection;
  const real = salesforce.client;
  const client = new Proxy(real, {
    get(target, property) {
      if (property === 'upsert') {
        return async (...args: Parameters<SalesforceClient['upsert']>) => {
          const result = await real.upsert(...args);
          if (args[0] === 'PartnerFundRequest') afterUpsert();
          return result;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { prm: () => prm, salesforce: () => ({ ...salesforce, client }), bases: syncBases.bases, claimUrl: (id) => claimPortalUrl(MDF_MOCK_CONFIG.claimPortalUrl, id) };
}

/** Runs the action the way the engine does: input parsed by its schema, output checked by its schema. */
async function sync(mdfNumber: string, connection: MdfConnection) {
  const definition = mdfConnector.actions.sync_fund_request!;
  const { ctx, notes } = testContext(connection, clock, { log });
  const output = await definition.run(definition.input.parse({ mdf_number: mdfNumber }), ctx);
  return { output: definition.output.parse(output) as { status: string; fields: Record<string, unknown> }, notes };
}

const fundRequests = () => systems.salesforce.records('PartnerFundRequest');

describe('mdf.sync_fund_request: a status that moves during the write (D1)', () => {
  it('writes again when the PRM status changed during the upsert: Salesforce ends Approved with the Amount', async () => {
    expect(systems.prm.findMdfRequest('MDF-1001')).toMatchObject({ status: 'Open', amountRequested: 10_000 });
    let decided = false;
    const connection = connect(() => {
      if (decided) return;
      decided = true;
      systems.prm.updateMdfRequest('MDF-1001', { status: 'Approved' });
    });

    const { output } = await sync('MDF-1001', connection);

    expect(output).toMatchObject({ status: 'Approved', fields: { Status: 'Approved', Amount: 10_000 } });
    expect(fundRequests()).toEqual([expect.objectContaining({ MDF_Number__c: 'MDF-1001', Status: 'Approved', Amount: 10_000 })]);
  });

  it('gives up after three writes when the status changes on every read, naming the MDF number', async () => {
    const statuses = ['Approved', 'Denied'];
    let changes = 0;
    const connection = connect(() => {
      systems.prm.updateMdfRequest('MDF-1001', { status: statuses[changes++ % statuses.length] });
    });

    const error = await sync('MDF-1001', connection).then(
      () => expect.unreachable('the sync succeeded'),
      (e: unknown) => e,
    );

    expect((error as Error).message).toBe('MDF-1001 changed status in the PRM during each of 3 syncs; the next attempt writes it again');
  });
});
