import { Hono } from 'hono';
import { z } from 'zod';
import { ErrorBody } from './api-schemas.ts';
import type { AppEnv, MockDeps } from './app.ts';
import { jsonError, validationError } from './errors.ts';
import { readMockJson } from './mock-json-body.ts';
import type { RouteDoc } from './openapi.ts';

/** What a partner changes on a shared lead in the portal (D24, D25: its status or a note is partner activity). */
export const MockLeadWork = z
  .object({
    status: z.string().min(1).optional().describe('Lead Status, e.g. Contacted or Qualified (New: not worked yet)'),
    partnerNotes: z.string().nullable().optional().describe('The partner\'s notes on the lead'),
    firstName: z.string().optional(),
    lastName: z.string().optional(),
    company: z.string().optional(),
    phone: z.string().min(1).optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'give at least one field to change' })
  .meta({ id: 'MockLeadWork' });

export const MockLeadWorked = z
  .object({ lead: z.record(z.string(), z.unknown()).describe('The PRM lead as the simulated PRM has it now, its `updated` stamped now') })
  .meta({ id: 'MockLeadWorked' });

/**
 * `PATCH /_mock/prm/leads/:id` (mock mode only): a partner works a shared lead in the simulated portal,
 * as in its UI: the fields change and the lead's `updated` is stamped with the clock. The PRM sends no
 * webhook for leads; the runtime's PRM activity poll (`lead-activity-from-prm`) reads a changed Lead
 * Status or note as partner activity (D24, D25) at its next poll.
 */
export function mockLeadRoutes(mock: MockDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { prm } = mock.systems;

  app.patch('/_mock/prm/leads/:id', async (c) => {
    const id = Number(c.req.param('id'));
    if (!Number.isInteger(id) || id <= 0) return jsonError(c, 400, `"${c.req.param('id')}" is not a PRM lead id (a positive integer)`, [{ path: 'id', message: 'not a positive integer' }]);
    const body = await readMockJson(c);
    if (!body.ok) return body.response;
    const parsed = MockLeadWork.safeParse(body.json);
    if (!parsed.success) return validationError(c, 'the body', parsed.error);
    const before = prm.leads().find((lead) => lead.id === id);
    if (!before) return jsonError(c, 404, `the simulated PRM has no lead with id ${id} (GET /_mock/records lists prm.leads)`);
    // D25: a recalled lead is no longer the partner's; the portal does not list it.
    if (before.recalledDate) return jsonError(c, 409, `PRM lead ${id} was recalled on ${String(before.recalledDate)}: the portal no longer lists it to the partner`);
    const lead = prm.updateLead(id, parsed.data)!;
    return c.json({ lead } satisfies z.infer<typeof MockLeadWorked>);
  });

  return app;
}

export const mockLeadDocs: RouteDoc[] = [
  {
    method: 'patch',
    path: '/_mock/prm/leads/:id',
    tag: 'mock',
    params: { id: 'The PRM lead id (prm.leads in GET /_mock/records)' },
    summary: 'Work a shared lead in the simulated PRM as its partner does (Lead Status, a note); the PRM activity poll reads it as partner activity (D24, D25) (mock mode only)',
    body: { schema: MockLeadWork },
    responses: {
      200: { description: 'The lead as changed', schema: MockLeadWorked },
      400: { description: 'Not a lead change: the fields named', schema: ErrorBody },
      404: { description: 'No such lead in the simulated PRM', schema: ErrorBody },
      409: { description: 'The lead was recalled (D25): the partner can no longer work it', schema: ErrorBody },
    },
  },
];
