import { Hono, type Context } from 'hono';
import type { z } from 'zod';
import { ErrorBody, MockSalesforceChange, MockSalesforceChanged } from './api-schemas.ts';
import type { AppEnv, MockDeps } from './app.ts';
import { jsonError, validationError } from './errors.ts';
import { readMockJson } from './mock-json-body.ts';
import type { RouteDoc } from './openapi.ts';

/**
 * `PATCH /_mock/salesforce/...` (mock mode only): a person in finance or ops edits a record in the
 * simulated Salesforce org, as in its UI. The edit is checked as the org checks an update and stamped
 * with that person as LastModifiedById, not the integration user, so the runtime's Salesforce poll
 * (D1) reads it as a change to bring into the PRM: finance marking a Funds Claim Paid, say.
 */
export function mockSalesforceRoutes(mock: MockDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { salesforce } = mock.systems;

  /** Applies the body to the one record `find` picks out of the object's records. */
  const edit = async (c: Context<AppEnv>, object: string, what: string, find: (record: Record<string, unknown>) => boolean): Promise<Response> => {
    const body = await readMockJson(c);
    if (!body.ok) return body.response;
    const parsed = MockSalesforceChange.safeParse(body.json);
    if (!parsed.success) return validationError(c, 'the body', parsed.error);
    if (!salesforce.objects().includes(object)) return jsonError(c, 404, `the simulated Salesforce has no object ${object}; it has: ${salesforce.objects().join(', ')}`);
    const matching = salesforce.records(object).filter(find);
    if (matching.length === 0) return jsonError(c, 404, `the simulated Salesforce has no ${object} with ${what}`);
    if (matching.length > 1) return jsonError(c, 409, `${matching.length} ${object} records have ${what} (${matching.map((r) => String(r.Id)).join(', ')}): name one by its Id`);
    const id = String(matching[0]!.Id);
    const outcome = salesforce.update(object, id, parsed.data);
    if (!outcome.ok) return jsonError(c, 400, `Salesforce refused the change of ${object} ${id}: ${outcome.errors.join('; ')}`, outcome.errors.map((message) => ({ path: '$', message })));
    const record = salesforce.records(object).find((r) => r.Id === id)!;
    return c.json({ record } satisfies z.infer<typeof MockSalesforceChanged>);
  };

  // By record Id (15 or 18 characters, as Salesforce takes either).
  app.patch('/_mock/salesforce/:object/:id', (c) => {
    const id = c.req.param('id');
    return edit(c, c.req.param('object'), `Id ${id}`, (r) => typeof r.Id === 'string' && r.Id.slice(0, 15) === id.slice(0, 15));
  });

  // By a field's value, as Salesforce addresses a record by external ID: PartnerFundClaim/MDF_Claim_Key__c/PRM-CLAIM-1.
  app.patch('/_mock/salesforce/:object/:field/:value', (c) => {
    const field = c.req.param('field').toLowerCase();
    const value = c.req.param('value');
    return edit(c, c.req.param('object'), `${c.req.param('field')} = ${value}`, (r) => Object.entries(r).some(([k, v]) => k.toLowerCase() === field && v === value));
  });

  return app;
}

export const mockSalesforceDocs: RouteDoc[] = [
  {
    method: 'patch',
    path: '/_mock/salesforce/:object/:id',
    tag: 'mock',
    params: { object: 'The sObject, e.g. PartnerFundClaim', id: 'The record Id (15 or 18 characters)' },
    summary: 'Edit a record in the simulated Salesforce as a person in finance or ops does; the Salesforce poll (D1) sees it as a change (mock mode only)',
    body: { schema: MockSalesforceChange },
    responses: {
      200: { description: 'The record as changed', schema: MockSalesforceChanged },
      400: { description: 'Not a change, or the org refused it (an unknown field, a value outside a restricted picklist), in the org\'s words', schema: ErrorBody },
      404: { description: 'No such object or record', schema: ErrorBody },
    },
  },
  {
    method: 'patch',
    path: '/_mock/salesforce/:object/:field/:value',
    tag: 'mock',
    params: { object: 'The sObject, e.g. PartnerFundClaim', field: 'A field, e.g. MDF_Claim_Key__c', value: 'Its value, e.g. PRM-CLAIM-1' },
    summary: 'Edit the one record of an object whose field has this value (e.g. a Funds Claim by its claim key), as a person in finance or ops does (mock mode only)',
    body: { schema: MockSalesforceChange },
    responses: {
      200: { description: 'The record as changed', schema: MockSalesforceChanged },
      400: { description: 'Not a change, or the org refused it, in the org\'s words', schema: ErrorBody },
      404: { description: 'No such object or record', schema: ErrorBody },
      409: { description: 'Several records have the value: name one by its Id', schema: ErrorBody },
    },
  },
];
