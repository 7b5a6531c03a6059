import { describe, expect, it } from 'vitest';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { capturingLogger, testContext, testDeps } from '../kit/action-test-context.ts';
import { AuthError, NetworkError, NotFoundError, ResponseShapeError, ServerError } from '../kit/http-errors.ts';
import { prmConnector } from './index.ts';
import { PRM_MOCK_CONFIG, PrmConfig } from './prm-config.ts';
import type { PrmClient } from './prm-client.ts';

const clock = new VirtualClock('2026-04-20T09:00:00Z');
const log = capturingLogger();

const systems = useSimulatedSystems(clock);

function connect(overrides: Partial<typeof PRM_MOCK_CONFIG> = {}): PrmClient {
  const config = PrmConfig.parse({ ...PRM_MOCK_CONFIG, ...overrides });
  return prmConnector.connect(config, testDeps(clock, log)) as PrmClient;
}

/** Runs an action the way the engine does: input parsed by its schema, output checked by its schema. */
async function run(action: keyof typeof prmConnector.actions, input: unknown, connection: PrmClient = connect()) {
  const definition = prmConnector.actions[action]!;
  const { ctx, notes } = testContext(connection, clock, { log });
  const output = await definition.run(definition.input.parse(input), ctx);
  return { output: definition.output.parse(output) as Record<string, unknown>, notes };
}

/** Runs an action that is expected to fail: its error, and the journal notes it wrote on the way. */
async function runFailing(action: keyof typeof prmConnector.actions, input: unknown, connection: PrmClient = connect()) {
  const definition = prmConnector.actions[action]!;
  const { ctx, notes } = testContext(connection, clock, { log });
  const error = await definition.run(definition.input.parse(input), ctx).then(
    () => expect.unreachable('the action succeeded'),
    (e: unknown) => e,
  );
  return { error, notes };
}

describe('prm.get_mdf_request', () => {
  it('returns the request as the PRM has it, by MDF number', async () => {
    const { output } = await run('get_mdf_request', { mdf_number: 'MDF-1001' });
    expect(output).toMatchObject({ mdfNumber: 'MDF-1001', partnerId: 101, status: 'Open', totalCost: 20000, amountRequested: 10000, submittedByEmail: 'marketing@northwind.example' });
  });

  it('sees changes made in the PRM after the webhook was sent', async () => {
    systems.prm.updateMdfRequest('MDF-1001', { activityName: 'Renamed summit' });
    const { output } = await run('get_mdf_request', { mdf_number: 'MDF-1001' });
    expect(output.activityName).toBe('Renamed summit');
  });

  it('fails with a NotFoundError naming the number when the PRM has no such request', async () => {
    const error = await run('get_mdf_request', { mdf_number: 'MDF-9999' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toBe('prm: no MDF request numbered MDF-9999 (object MdfRequest__co)');
    expect(error).toMatchObject({ retryable: false });
  });

  it('rides out a rate limit and a server error by retrying, and notes it', async () => {
    systems.faults.inject({ system: 'prm', kind: 'rate_limit', times: 1, retryAfterSeconds: 2 });
    systems.faults.inject({ system: 'prm', kind: 'server_error', times: 1 });
    const { output, notes } = await run('get_mdf_request', { mdf_number: 'MDF-1001' });
    expect(output.mdfNumber).toBe('MDF-1001');
    expect(notes.join('\n')).toMatch(/answered 429/);
    expect(notes.join('\n')).toMatch(/answered 500/);
  });

  it('gives up after three attempts with a retryable error the engine can retry later', async () => {
    systems.faults.inject({ system: 'prm', kind: 'server_error', times: 5 });
    const { error, notes } = await runFailing('get_mdf_request', { mdf_number: 'MDF-1001' });
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ retryable: true, status: 500, system: 'prm' });
    // Two retries noted: attempts 2 and 3 of 3.
    expect(notes).toEqual([expect.stringMatching(/answered 500.*\(attempt 2 of 3\)$/), expect.stringMatching(/answered 500.*\(attempt 3 of 3\)$/)]);
    // Exactly three requests reached the PRM: two of the five 500s are left for the next call, which rides them out.
    const next = await run('get_mdf_request', { mdf_number: 'MDF-1001' });
    expect(next.output.mdfNumber).toBe('MDF-1001');
    expect(next.notes).toEqual([expect.stringMatching(/answered 500.*\(attempt 2 of 3\)$/), expect.stringMatching(/answered 500.*\(attempt 3 of 3\)$/)]);
  });

  it('reports a network failure as retryable', async () => {
    systems.faults.inject({ system: 'prm', kind: 'network_error', times: 3 });
    const error = await run('get_mdf_request', { mdf_number: 'MDF-1001' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ retryable: true });
  });

  it('names the field when the PRM returns a record that does not fit the schema', async () => {
    systems.prm.updateMdfRequest('MDF-1001', { partnerId: 'Northwind' });
    const error = await run('get_mdf_request', { mdf_number: 'MDF-1001' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseShapeError);
    expect((error as Error).message).toMatch(/data\.results\[0\]\.partnerId/);
  });

  it('D7: reads a request whose Submitted By Email is no address, keeping the text as the partner typed it (trimmed), for the recipes to email the partner contact and ops to see', async () => {
    systems.prm.updateMdfRequest('MDF-1001', { submittedByEmail: ' not-an-email ' });
    const { output } = await run('get_mdf_request', { mdf_number: 'MDF-1001' });
    expect(output).toMatchObject({ mdfNumber: 'MDF-1001', submittedByEmail: 'not-an-email' });
    systems.prm.updateMdfRequest('MDF-1001', { submittedByEmail: '  ' });
    expect((await run('get_mdf_request', { mdf_number: 'MDF-1001' })).output).toMatchObject({ mdfNumber: 'MDF-1001', submittedByEmail: null });
  });
});

describe('prm.get_partner', () => {
  it('returns the partner with its marketing-ready flag and region', async () => {
    const { output } = await run('get_partner', { partner_id: 101 });
    expect(output).toMatchObject({ id: 101, name: 'Northwind Cloud', region: 'EMEA', type: 'Channel', marketingReady: true, contactEmail: 'ops@northwind.example' });
    const notReady = await run('get_partner', { partner_id: 104 });
    expect(notReady.output).toMatchObject({ name: 'Fabrikam Partners', marketingReady: false });
  });

  it("fails with the PRM's own message for an unknown partner", async () => {
    const error = await run('get_partner', { partner_id: 999_999 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).message).toMatch(/^prm GET \/api\/objects\/v1\/Account\/999999 answered 404: NotFound: \S/);
  });

  it('fails with AuthError for a wrong API key, without the key in the error or the logs', async () => {
    const error = await run('get_partner', { partner_id: 101 }, connect({ apiKey: 'wrong-key-4f9a1c' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as Error).message).toMatch(/^prm GET \/api\/objects\/v1\/Account\/101 answered 401/);
    // It names the settings to fix, as the other systems' login failures do (review 5, finding 6).
    expect((error as Error).message).toMatch(/; check PRM_API_KEY and PRM_TENANT_ID \(the PRM's API key and the tenant it belongs to\)$/);
    const everything = JSON.stringify({ error, message: (error as Error).message }) + log.text();
    expect(everything).not.toContain('wrong-key-4f9a1c');
    expect(everything).not.toContain('mock-prm-key');
  });
});

describe('prm.update_mdf_request_status', () => {
  it('sets the status and reason in the PRM and returns the updated request', async () => {
    const { output } = await run('update_mdf_request_status', { mdf_number: 'MDF-1001', status: 'Denied', reason: 'Budget for EMEA is spent' });
    expect(output).toMatchObject({ mdfNumber: 'MDF-1001', status: 'Denied', statusReason: 'Budget for EMEA is spent' });
    expect(Date.parse(output.updated as string)).toBe(clock.now());
    expect(systems.prm.findMdfRequest('MDF-1001')).toMatchObject({ status: 'Denied', statusReason: 'Budget for EMEA is spent' });
  });

  it('has the same effect when repeated', async () => {
    await run('update_mdf_request_status', { mdf_number: 'MDF-1001', status: 'Approved' });
    const again = await run('update_mdf_request_status', { mdf_number: 'MDF-1001', status: 'Approved' });
    expect(again.output.status).toBe('Approved');
    expect(systems.prm.findMdfRequest('MDF-1001')?.status).toBe('Approved');
  });

  it('with only_from, leaves a request that moved on untouched and says why; the status it already has counts as done', async () => {
    systems.prm.updateMdfRequest('MDF-1001', { status: 'Canceled', statusReason: 'Budget cut' });
    const { error } = await runFailing('update_mdf_request_status', { mdf_number: 'MDF-1001', status: 'Approved', only_from: ['Open'] });
    expect(error).toMatchObject({ name: 'StatusMovedOnError', retryable: false, message: 'MDF-1001 is Canceled in the PRM, not Open: it was not set to Approved' });
    expect(systems.prm.findMdfRequest('MDF-1001')).toMatchObject({ status: 'Canceled', statusReason: 'Budget cut' });
    // A retry of a write that went through (its answer lost) finds the status it set, and succeeds.
    const { output } = await run('update_mdf_request_status', { mdf_number: 'MDF-1001', status: 'Canceled', reason: 'Budget cut', only_from: ['Open'] });
    expect(output.status).toBe('Canceled');
  });

  it('is retried after a server error because setting a status is idempotent', async () => {
    systems.faults.inject({ system: 'prm', kind: 'server_error', method: 'PATCH', times: 1 });
    const { output, notes } = await run('update_mdf_request_status', { mdf_number: 'MDF-1001', status: 'Approved', reason: 'ok' });
    // The PATCH was answered 500 once, then repeated.
    expect(notes).toEqual([expect.stringMatching(/^prm PATCH \S+ answered 500.*retrying.*\(attempt 2 of 3\)$/)]);
    expect(output).toMatchObject({ mdfNumber: 'MDF-1001', status: 'Approved', statusReason: 'ok' });
    expect(systems.prm.findMdfRequest('MDF-1001')).toMatchObject({ status: 'Approved', statusReason: 'ok' });
  });

  it('refuses a status outside the PRM picklist before calling the PRM', async () => {
    await expect(run('update_mdf_request_status', { mdf_number: 'MDF-1001', status: 'Pending' })).rejects.toThrow(/status/);
    expect(systems.prm.findMdfRequest('MDF-1001')?.status).toBe('Open');
  });
});

describe('PrmClient listings', () => {
  it('walks every MDF request page by page, filtered by the PRM', async () => {
    for (let i = 0; i < 230; i++) {
      systems.prm.addMdfRequest({ mdfNumber: `MDF-5${String(i).padStart(3, '0')}`, partnerId: 102, status: 'Open', activityRegion: 'AMER' });
    }
    const client = connect();
    const all: string[] = [];
    for await (const r of client.listMdfRequests()) all.push(r.mdfNumber);
    expect(all.length).toBe(systems.prm.mdfRequests().length);
    expect(new Set(all).size).toBe(all.length);

    const amerOpen: string[] = [];
    for await (const r of client.listMdfRequests({ filter: "ActivityRegion eq 'AMER' and Status eq 'Open'" })) amerOpen.push(r.mdfNumber);
    const expected = systems.prm.mdfRequests().filter((r) => r.activityRegion === 'AMER' && r.status === 'Open').map((r) => r.mdfNumber);
    expect(amerOpen.sort()).toEqual(expected.sort());
  });

  it('yields every record when the PRM answers fewer than the page size asked for (it caps a page at 500)', async () => {
    const seeded = systems.prm.mdfRequests().length;
    for (let i = 0; i < 705 - seeded; i++) systems.prm.addMdfRequest({ mdfNumber: `MDF-6${String(i).padStart(3, '0')}`, partnerId: 101, status: 'Open' });
    const numbers: string[] = [];
    for await (const r of connect().listMdfRequests({ pageSize: 1000 })) numbers.push(r.mdfNumber);
    expect(numbers).toHaveLength(705);
    expect(new Set(numbers)).toEqual(new Set(systems.prm.mdfRequests().map((r) => r.mdfNumber)));
  });

  it('lists partners by region', async () => {
    const names: string[] = [];
    for await (const p of connect().listPartners({ filter: "Region eq 'EMEA'" })) names.push(p.name);
    expect(names).toEqual(expect.arrayContaining(['Northwind Cloud', 'Fabrikam Partners']));
    expect(names).not.toContain('Contoso Systems');
  });
});

describe('prm events', () => {
  it('accept the PRM record with its extra fields and correlate on the MDF number', () => {
    const record = { ...systems.prm.findMdfRequest('MDF-1001'), Budget_Code__cf: 'EM-26' };
    for (const name of ['mdf_request.submitted', 'mdf_request.status_changed']) {
      const event = prmConnector.events![name]!;
      const data = event.data.parse(record) as Record<string, unknown>;
      expect(data.Budget_Code__cf).toBe('EM-26');
      expect(event.correlate!(data)).toBe('MDF-1001');
    }
  });

  it('refuse a delivery without an MDF number', () => {
    const { mdfNumber: _dropped, ...rest } = systems.prm.findMdfRequest('MDF-1001')!;
    expect(prmConnector.events!['mdf_request.submitted']!.data.safeParse(rest).success).toBe(false);
  });
});

describe('prm configuration', () => {
  it('reads the tenant id as an integer and defaults the MDF object name', () => {
    const config = PrmConfig.parse({ baseUrl: 'https://prm.example.com/api/objects/v1', apiKey: 'k', tenantId: '42' });
    expect(config).toMatchObject({ tenantId: 42, mdfRequestObject: 'MdfRequest__co' });
    expect(PrmConfig.safeParse({ ...config, mdfRequestObject: 'Mdf/../x' }).success).toBe(false);
  });
});
