import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from './support/embedded-postgres.ts';
import { openRuntimeProcess, type RuntimeProcess } from './support/runtime-process.ts';
import { until } from './support/until.ts';

/**
 * PostgreSQL restarted under load, with `partnerflow serve` on it (a server of this test's own, so
 * stopping it disturbs no other test): webhooks during the outage get 503 with Retry-After and are
 * delivered again, as a sender does; runs cut off mid-turn resume once it is back; nothing is lost and
 * nobody is told twice.
 */
let pg: EmbeddedPostgresServer;
let rt: RuntimeProcess;

beforeAll(async () => {
  pg = await startEmbeddedPostgres();
  // Short leases: a turn the outage cut off is taken up again two seconds after it stopped renewing.
  rt = await openRuntimeProcess('partnerflow-pg-outage-', { env: { PARTNERFLOW_DATABASE_URL: pg.url, PARTNERFLOW_DATABASE_POOL_SIZE: '4', PARTNERFLOW_LEASE_MS: '2000' } });
}, 60_000);

afterAll(async () => {
  await rt?.close();
  await pg?.destroy();
});

describe('PostgreSQL restarted mid-load', () => {
  it('D1, D7, D8: webhooks during the outage get 503 with Retry-After (never 202); once it is back every request has one run, one confirmation, one approval request and one Salesforce record', async () => {
    const { systems, emailsTo } = rt;
    rt.start();
    await rt.ready();
    const template = systems.prm.findMdfRequest('MDF-1001')!;
    const requests = Array.from({ length: 12 }, () => {
      const { id: _id, mdfNumber: _number, ...fields } = template as unknown as Record<string, unknown>;
      return systems.prm.addMdfRequest(fields);
    });
    const deliver = (i: number) => rt.deliverPrmWebhook({ id: `outage-${i}`, event: 'mdf_request.submitted', data: requests[i] });

    // Load before the outage: accepted, and their runs under way as the server goes (their Salesforce
    // syncs held in their call to Salesforce until it is back).
    rt.sim.holdSalesforce = true;
    for (let i = 0; i < 4; i++) expect((await deliver(i)).status).toBe(202);
    await until('the first approval requests to go out', async () => (emailsTo('cmm.emea@vendor.example', requests[3]!.mdfNumber).length > 0 ? true : undefined));
    await pg.stop();

    const refused: number[] = [];
    for (let i = 4; i < 8; i++) {
      const res = await deliver(i);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(((await res.json()) as { error: string }).error).toMatch(/^the store is unavailable: the delivery may have been stored .*deliver the same event again after Retry-After under the SAME delivery id.*never under a new id/);
      refused.push(i);
    }

    await pg.start();
    rt.sim.holdSalesforce = false;
    // The senders deliver the refused events again, and new ones arrive.
    for (const i of [...refused, 8, 9, 10, 11]) {
      const status = await until(`delivery ${i} to be accepted`, async () => {
        const res = await deliver(i);
        return res.status === 202 ? 202 : undefined;
      });
      expect(status).toBe(202);
    }

    for (const request of requests) {
      await until(`${request.mdfNumber}'s approval request`, async () => (emailsTo('cmm.emea@vendor.example', request.mdfNumber).length > 0 ? true : undefined), 60_000);
    }
    for (const request of requests) {
      expect(emailsTo(request.submittedByEmail!, `We received your MDF request ${request.mdfNumber}`)).toHaveLength(1);
      expect(emailsTo('cmm.emea@vendor.example', request.mdfNumber)).toHaveLength(1);
    }
    // Each request's Salesforce sync (D1), cut off in its call for some, wrote one record.
    for (const request of requests) {
      await until(`${request.mdfNumber} in Salesforce`, async () => (systems.salesforce.records('PartnerFundRequest').some((r) => r.MDF_Number__c === request.mdfNumber) ? true : undefined), 60_000);
      expect(systems.salesforce.records('PartnerFundRequest').filter((r) => r.MDF_Number__c === request.mdfNumber)).toHaveLength(1);
    }
    expect(rt.child?.exitCode).toBeNull();
  }, 150_000);
});
