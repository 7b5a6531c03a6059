import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.ts';
import { loadConfig } from '../config.ts';
import { createRuntime, type Runtime } from '../runtime.ts';

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

async function send(body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await runtime!.app.request('/_mock/prm/webhooks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('POST /_mock/prm/webhooks with a delivery id sent before', () => {
  it('redelivers the same record as first sent (a duplicate), but sends another record as asked, which the runtime refuses with 409 (a delivery id names one event), instead of answering the first record\'s run', async () => {
    runtime = await createRuntime({ config: loadConfig({}, { mock: true, connectors: CONNECTORS, overrides: { dbPath: ':memory:', logLevel: 'silent' } }) });
    const first = await send({ event: 'mdf_request.submitted', mdf_number: 'MDF-1001', delivery_id: 'm-1' });
    expect(first).toEqual({ status: 202, body: { delivery_id: 'm-1', duplicate: false, run_ids: [expect.stringMatching(/^run_/)] } });
    // The sender's retry: the same request under the same id.
    expect(await send({ event: 'mdf_request.submitted', mdf_number: 'MDF-1001', delivery_id: 'm-1' })).toEqual({ status: 202, body: { delivery_id: 'm-1', duplicate: true, run_ids: first.body.run_ids } });
    // Another request under that id answered "duplicate" with MDF-1001's run, and MDF-1002 got none.
    const other = await send({ event: 'mdf_request.submitted', mdf_number: 'MDF-1002', delivery_id: 'm-1' });
    expect(other).toEqual({
      status: 409,
      body: { error: 'delivery id "m-1" of source prm was already used for a different event: this delivery started nothing and changed nothing (the first event stays as it was); a new event needs a new delivery id' },
    });
    const runs = (await (await runtime.app.request('/runs?key=MDF-1002')).json()) as { runs: unknown[] };
    expect(runs.runs).toEqual([]);
  });
});
