import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../server/engine/clock.ts';
import { SIMULATED_URLS } from '../simulated-systems.ts';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';

/** What a client of the PRM sees over the global fetch. */
const clock = new VirtualClock('2026-04-20T09:00:00Z');

const systems = useSimulatedSystems(clock);

const AUTH = { Authorization: 'prm-key mock-prm-key', 'X-PRM-TenantId': '1' };

async function prm(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${SIMULATED_URLS.prm}/${path}`, {
    method: init.method ?? 'GET',
    headers: { ...AUTH, 'content-type': 'application/json', ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, body: (await res.json()) as any };
}
const list = (object: string, query: Record<string, string | number>) =>
  prm(`${object}?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString()}`);

describe('PRM authentication', () => {
  it('answers 401 in the PRM envelope without the right key and tenant', async () => {
    for (const headers of [{ Authorization: 'prm-key nope' }, { 'X-PRM-TenantId': '2' }, { Authorization: 'Bearer mock-prm-key' }] as Array<Record<string, string>>) {
      const res = await prm('Account/101', { headers });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ success: false, errors: [{ code: 'Unauthorized', message: expect.any(String) }] });
    }
  });
});

describe('PRM reads', () => {
  it('gets a record by id in camelCase, inside { success, data }', async () => {
    const res = await prm('Account/101');
    expect(res).toEqual({
      status: 200,
      body: { success: true, data: expect.objectContaining({ id: 101, name: 'Northwind Cloud', marketingReady: true, crmId: '0015e00000NWCLD001', region: 'EMEA' }) },
    });
  });

  it('answers 404 NotFound for an unknown record or object', async () => {
    const record = await prm('Account/999999');
    expect(record.status).toBe(404);
    expect(record.body).toEqual({ success: false, errors: [{ code: 'NotFound', message: 'No Account record with Id 999999' }] });
    expect((await prm('Opportunity/1')).status).toBe(404);
    expect((await prm('Account/abc')).status).toBe(404);
  });

  it('answers NotFound, not 500, for names that are keys of every object (constructor, __proto__)', async () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      for (const path of [name, `${name}/1`, `${name}/_describe`]) {
        const res = await prm(path);
        expect(res, path).toEqual({ status: 404, body: { success: false, errors: [{ code: 'NotFound', message: `Unknown object '${name}'` }] } });
      }
    }
  });

  it('lists with a filter, the total in count and the object in entity', async () => {
    const res = await list('Account', { filter: "Region eq 'EMEA' and MarketingReady eq true" });
    // Northwind Cloud, and Woodgrove Cloud (the Alliance demo partner with a real Salesforce Id, D20).
    expect(res.body.data).toEqual({ count: 2, entity: 'Account', results: [expect.objectContaining({ name: 'Northwind Cloud' }), expect.objectContaining({ name: 'Woodgrove Cloud' })] });
  });

  it('pages with skip and take; count stays the total', async () => {
    for (let i = 0; i < 20; i++) systems.prm.addMdfRequest({ partnerId: 102, activityRegion: 'AMER' });
    const total = systems.prm.mdfRequests().length;
    const seen: number[] = [];
    for (let skip = 0; skip < total; skip += 7) {
      const page = await list('MdfRequest__co', { orderby: 'Id asc', skip, take: 7 });
      expect(page.body.data.count).toBe(total);
      seen.push(...page.body.data.results.map((r: { id: number }) => r.id));
    }
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(total);
  });

  it('caps take at 500: a short page is not the end, the count is', async () => {
    for (let i = 0; i < 520; i++) systems.prm.addMdfRequest({ partnerId: 101 });
    const page = await list('MdfRequest__co', { take: 1000 });
    expect(page.body.data.results).toHaveLength(500);
    expect(page.body.data.count).toBe(systems.prm.mdfRequests().length);
  });

  it('orders by any field, descending too', async () => {
    const res = await list('Account', { orderby: 'Name desc' });
    expect(res.body.data.results.map((p: { name: string }) => p.name)).toEqual(['Woodgrove Cloud', 'Tailspin Alliances', 'Northwind Cloud', 'Litware Resellers', 'Fabrikam Partners', 'Contoso Systems']);
  });

  it('returns only the fields asked for', async () => {
    const res = await list('Account', { fields: 'Name,Region', filter: 'Id eq 102' });
    expect(res.body.data.results).toEqual([{ id: 102, name: 'Contoso Systems', region: 'AMER' }]);
  });

  it('refuses an unknown field in the list, also when no record matches', async () => {
    const res = await list('Account', { fields: 'Name,Colour', filter: "Name eq 'nobody'" });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ success: false, errors: [{ code: 'InvalidField', fields: ['fields'], message: "Account has no field 'Colour'" }] });
  });

  it('answers 400 with the PRM envelope for a filter or orderby it cannot read', async () => {
    const filter = await list('MdfRequest__co', { filter: "Status eq 'Open' andd Id eq 1" });
    expect(filter.status).toBe(400);
    expect(filter.body).toEqual({ success: false, errors: [{ code: 'InvalidFilter', fields: ['filter'], message: expect.stringMatching(/^Invalid filter at position \d+/) }] });
    const orderby = await list('MdfRequest__co', { orderby: 'Colour asc' });
    expect(orderby.status).toBe(400);
    expect(orderby.body.errors[0].code).toBe('InvalidOrderBy');
  });

  it('describes its objects, with required fields and picklists', async () => {
    const all = await prm('_describe');
    expect(all.body.data.objects.map((o: { name: string }) => o.name)).toEqual(['Account', 'MdfRequest__co', 'MdfClaim__co', 'Lead']);
    const mdf = await prm('MdfRequest__co/_describe');
    expect(mdf.body.data.fields).toContainEqual(
      expect.objectContaining({ name: 'Status', type: 'picklist', required: true, picklistValues: expect.arrayContaining([{ value: 'Denied', label: 'Denied' }]) }),
    );
  });
});

describe('PRM writes', () => {
  it('PATCH takes PascalCase fields and answers the camelCase record, updated at the clock time', async () => {
    const id = systems.prm.findMdfRequest('MDF-1001')!.id;
    clock.advance(60_000);
    const res = await prm(`MdfRequest__co/${id}`, { method: 'PATCH', body: { Status: 'Denied', StatusReason: 'Budget spent' } });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id, mdfNumber: 'MDF-1001', status: 'Denied', statusReason: 'Budget spent', updated: new Date(clock.now()).toISOString() });
    expect(systems.prm.findMdfRequest('MDF-1001')).toMatchObject({ status: 'Denied', statusReason: 'Budget spent' });
  });

  it('refuses camelCase field names, naming the PascalCase one', async () => {
    const id = systems.prm.findMdfRequest('MDF-1001')!.id;
    const res = await prm(`MdfRequest__co/${id}`, { method: 'PATCH', body: { status: 'Denied' } });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ code: 'InvalidField', fields: ['status'], message: expect.stringContaining("'Status'") }]);
    expect(systems.prm.findMdfRequest('MDF-1001')?.status).toBe('Open');
  });

  it('refuses a status outside the picklist with InvalidValue naming the field', async () => {
    const id = systems.prm.findMdfRequest('MDF-1001')!.id;
    const res = await prm(`MdfRequest__co/${id}`, { method: 'PATCH', body: { Status: 'Pending' } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ success: false, errors: [{ code: 'InvalidValue', fields: ['Status'], message: expect.stringContaining('Open, Approved, Denied, Canceled, Closed') }] });
  });

  it('refuses read-only fields and values of the wrong type, all at once', async () => {
    const res = await prm('Account/101', { method: 'PATCH', body: { Id: 5, MarketingReady: 'yes', ContactEmail: 'nobody' } });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { code: string; fields: string[] }) => `${e.code}:${e.fields.join()}`)).toEqual([
      'ReadOnlyField:Id',
      'InvalidValue:MarketingReady',
      'InvalidValue:ContactEmail',
    ]);
  });

  it('keeps custom __cf fields as they are named', async () => {
    const res = await prm('Account/101', { method: 'PATCH', body: { Tier__cf: 'Gold' } });
    expect(res.body.data.Tier__cf).toBe('Gold');
  });

  it('PUT (and POST, as older clients do) create a record with an id and timestamps', async () => {
    const put = await prm('MdfRequest__co', {
      method: 'PUT',
      body: { MdfNumber: 'MDF-3001', PartnerId: 102, SubmittedByEmail: 'field@contoso.example', Status: 'Open', ActivityName: 'Roadshow' },
    });
    expect(put.status).toBe(200);
    expect(put.body.data).toMatchObject({ id: expect.any(Number), mdfNumber: 'MDF-3001', activityName: 'Roadshow', created: new Date(clock.now()).toISOString() });
    const post = await prm('Account', { method: 'POST', body: { Name: 'Litware', Type: 'Alliance', CrmId: '0015e00000LTWRE005', Region: 'APAC' } });
    expect(post.body.data).toMatchObject({ id: 107, name: 'Litware' });
    expect(systems.prm.partners()).toHaveLength(7);
  });

  it('refuses a create without the required fields, or with an MDF number already taken', async () => {
    const missing = await prm('MdfRequest__co', { method: 'PUT', body: { MdfNumber: 'MDF-3002' } });
    expect(missing.status).toBe(400);
    expect(missing.body.errors.map((e: { fields: string[] }) => e.fields[0])).toEqual(['PartnerId', 'SubmittedByEmail', 'Status']);
    const duplicate = await prm('MdfRequest__co', { method: 'PUT', body: { MdfNumber: 'MDF-1001', PartnerId: 101, SubmittedByEmail: 'a@b.example', Status: 'Open' } });
    expect(duplicate.body.errors[0]).toMatchObject({ code: 'DuplicateValue', fields: ['MdfNumber'] });
  });

  it('deletes a record', async () => {
    expect((await prm('Account/104', { method: 'DELETE' })).status).toBe(200);
    expect((await prm('Account/104')).status).toBe(404);
  });

  it('answers 400 for a body that is not a JSON object', async () => {
    const res = await fetch(`${SIMULATED_URLS.prm}/Account/101`, { method: 'PATCH', headers: AUTH, body: 'Status=Open' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ success: false, errors: [{ code: 'InvalidRequest' }] });
  });
});

describe('PRM partner-facing leads (D20, D23)', () => {
  it('creates a lead (phone and partner account required), lists it by updated and Partner Synced Date, pages with skip and take', async () => {
    const refused = await prm('Lead', { method: 'PUT', body: { Email: 'no.phone@client.example', PartnerAccountId: 101 } });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ code: 'RequiredField', fields: ['Phone'] })]);
    for (const [i, synced] of ['2026-04-19T09:00:00Z', '2026-04-20T08:00:00Z', '2026-04-20T09:00:00Z'].entries()) {
      const created = await prm('Lead', { method: 'PUT', body: { Email: `lead${i}@client.example`, Phone: '+1 555 0100', PartnerAccountId: 101, PartnerSyncedDate: synced } });
      expect(created.body.data).toMatchObject({ id: i + 1, email: `lead${i}@client.example`, partnerSyncedDate: synced, updated: expect.any(String) });
    }
    const recent = await list('Lead', { filter: "updated > '2026-04-20 00:00:00' and PartnerSyncedDate ge '2026-04-20T00:00:00Z'", orderby: 'Id asc', skip: 1, take: 1 });
    expect(recent.body.data).toMatchObject({ count: 2, entity: 'Lead', results: [expect.objectContaining({ email: 'lead2@client.example' })] });
  });

  it('holds a lead imported without an Updated stamp: answered with updated null, matched by Updated eq null and by no Updated ge, ordered first; a write stamps it', async () => {
    const stamped = await prm('Lead', { method: 'PUT', body: { Email: 'stamped@client.example', Phone: '+1 555 0100', PartnerAccountId: 101 } });
    const imported = systems.prm.addLead({ email: 'imported@client.example', phone: '+1 555 0100', partnerAccountId: 101, updated: null });
    expect((await prm(`Lead/${imported.id}`)).body.data).toMatchObject({ email: 'imported@client.example', updated: null });
    const emails = async (query: Record<string, string>) => ((await list('Lead', query)).body.data.results as Array<{ email: string }>).map((l) => l.email);
    expect(await emails({ filter: "Updated ge '2000-01-01 00:00:00'" })).toEqual(['stamped@client.example']);
    expect(await emails({ filter: 'Updated eq null' })).toEqual(['imported@client.example']);
    expect(await emails({ filter: "Updated ge '2000-01-01 00:00:00' or Updated eq null", orderby: 'Updated asc, Id asc' })).toEqual(['imported@client.example', 'stamped@client.example']);
    await prm(`Lead/${imported.id}`, { method: 'PATCH', body: { Phone: '+1 555 0199' } });
    expect((await prm(`Lead/${imported.id}`)).body.data.updated).toBe(stamped.body.data.updated);
  });
});
