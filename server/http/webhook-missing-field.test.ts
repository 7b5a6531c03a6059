import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.ts';
import { loadConfig } from '../config.ts';
import { createRuntime, type Runtime } from '../runtime.ts';
import { signWebhook } from './webhook-signature.ts';

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

describe('POST /webhooks/prm with a field of a fixed set of values missing', () => {
  it('names it required, as any missing field, not "Invalid option: expected one of …", which reads as a wrong value sent; a wrong value still says so', async () => {
    runtime = await createRuntime({ config: loadConfig({}, { mock: true, connectors: CONNECTORS, overrides: { dbPath: ':memory:', logLevel: 'silent' } }) });
    const records = (await (await runtime.app.request('/_mock/records')).json()) as { prm: { mdf_requests: Array<Record<string, unknown>> } };
    const request = records.prm.mdf_requests.find((r) => r.mdfNumber === 'MDF-1001')!;
    const deliver = async (id: string, data: Record<string, unknown>) => {
      const body = JSON.stringify({ id, event: 'mdf_request.submitted', data });
      const res = await runtime!.app.request('/webhooks/prm', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signWebhook('mock-webhook-secret-prm', body, Math.floor(Date.now() / 1000)) },
        body,
      });
      return { status: res.status, body: (await res.json()) as { error: string; issues: Array<{ path: string; message: string }> } };
    };
    const withoutStatus = { ...request };
    delete withoutStatus.status;
    const missing = await deliver('d-1', withoutStatus);
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ error: 'prm.mdf_request.submitted: data.status: required', issues: [{ path: 'data.status', message: 'required' }] });
    const wrong = await deliver('d-2', { ...request, status: 'Opened' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.issues).toEqual([{ path: 'data.status', message: 'Invalid option: expected one of "Open"|"Approved"|"Denied"|"Canceled"|"Closed"' }]);
  });
});
