import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.ts';
import { loadConfig } from '../config.ts';
import { createRuntime, type Runtime } from '../runtime.ts';

// A visit date of today (UTC): one more than the lead-routing table's date_window_days_before (365) from the clock is refused (D21, D22).
const VISITED = new Date().toISOString().slice(0, 10);

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

/** A chunked CSV upload (no Content-Length) of `chunks` chunks of 64 KB; `pulled()` says how many were read. */
function chunkedCsv(chunks: number) {
  let pulled = 0;
  const header = 'email,first_name,last_name,company,phone,opted_in,crm_partner_id,event,visited_on\n';
  const row = `a@example.com,A,B,Acme,+1 555 0100,yes,,Expo,${VISITED}\n`;
  const chunk = new TextEncoder().encode(header + row.repeat(Math.floor((64 * 1024 - header.length) / row.length)));
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled === chunks) return controller.close();
      pulled += 1;
      controller.enqueue(chunk);
    },
  });
  return { body, pulled: () => pulled };
}

describe('POST /imports/leads size limit (D22)', () => {
  it('D22: a chunked upload without Content-Length over LEAD_IMPORT_MAX_BYTES is refused with 413 once the limit is passed, not read whole first', async () => {
    const config = loadConfig({ LEAD_IMPORT_MAX_BYTES: String(200 * 1024) }, { mock: true, connectors: CONNECTORS, overrides: { dbPath: ':memory:', logLevel: 'silent' } });
    runtime = await createRuntime({ config });
    const upload = chunkedCsv(38); // 2.4 MB
    const res = await runtime.app.request('/imports/leads', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: upload.body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: `the file is over the limit of ${200 * 1024} bytes (LEAD_IMPORT_MAX_BYTES); nothing was imported`, line: null });
    // 200 KB is 4 chunks of 64 KB: reading stopped at the 4th, far from the 38.
    expect(upload.pulled()).toBeLessThan(8);
  });
});

describe('POST /imports/leads Content-Type (D22)', () => {
  it('takes text/csv with charset utf-8 or utf8, and refuses another media type such as text/csv-foo', async () => {
    runtime = await createRuntime({ config: loadConfig({}, { mock: true, connectors: CONNECTORS, overrides: { dbPath: ':memory:', logLevel: 'silent' } }) });
    const csv = `email,first_name,last_name,company,phone,opted_in,crm_partner_id,event,visited_on\na@example.com,A,B,Acme,+1 555 0100,yes,,Expo,${VISITED}\n`;
    const post = (type: string) => runtime!.app.request('/imports/leads', { method: 'POST', headers: { 'content-type': type }, body: csv });
    expect((await post('text/csv; charset=utf8')).status).toBe(202);
    expect((await post('text/csv; charset="UTF-8"')).status).toBe(202);
    const foo = await post('text/csv-foo');
    expect(foo.status).toBe(415);
    // The refusal's shape is the one the OpenAPI document gives every refused file: `line` is there, null.
    expect(await foo.json()).toEqual({ error: 'send the CSV as Content-Type: text/csv (UTF-8)', line: null });
    const latin1 = await post('text/csv; charset=latin1');
    expect(latin1.status).toBe(415);
    expect(await latin1.json()).toEqual({ error: 'the CSV must be UTF-8, the request says charset=latin1', line: null });
  });
});
