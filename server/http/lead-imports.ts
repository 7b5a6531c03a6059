import { Hono } from 'hono';
import { z } from 'zod';
import type { LeadsConfig } from '../../connectors/leads/leads-config.ts';
import { LEAD_IMPORT_COLUMNS, LeadImportRefused } from '../leads/lead-import-file.ts';
import { startLeadImport } from '../leads/start-lead-import.ts';
import { ErrorBody } from './api-schemas.ts';
import { requireApiToken } from './api-auth.ts';
import type { AppDeps, AppEnv } from './app.ts';
import { readBodyWithLimit } from './read-body.ts';
import type { RouteDoc } from './openapi.ts';

/** The answer to an accepted import (202). */
export const LeadImportAnswer = z.object({
  import_id: z.string().describe("The file's SHA-256 (16 hex digits): the same file again is the same import, imported once."),
  run_id: z.string().nullable().describe('The lead-import run taking the accepted rows to Marketo (GET /runs/:id shows each batch); null when no row was accepted.'),
  already_imported: z.boolean(),
  accepted: z.number().int().describe('Rows accepted: they go to Marketo, 300 a call.'),
  refused: z.array(z.object({ row: z.number().int(), line: z.number().int(), reason: z.string() })).describe('Rows not imported, with the row (1 = first after the header), the file line and the reason.'),
  not_opted_in: z.array(z.object({ row: z.number().int(), email: z.string(), opted_in: z.string() })).describe('Accepted rows imported without opting in: opted_in was not an explicit yes (D22).'),
  batches: z.number().int(),
  to_route: z.number().int().describe('Accepted rows with a CRM Partner ID: each is routed in a lead-routing run (D20).'),
  run_status: z.string().nullable().describe("The lead-import run's status now: for a file imported before, how that import went (failed: see run_error)."),
  run_error: z.string().nullable().describe('When the run failed: where, why, and the retry that resumes it.'),
});

/** The body of a refused file: the reason and the line, nothing imported. */
const RefusedFile = ErrorBody.extend({ line: z.number().int().nullable() });

/** `POST /imports/leads`: ops upload a booth-scan CSV (D22), as the CLI's `partnerflow import leads` does. */
export function leadImportRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const auth = requireApiToken(deps.config.apiToken);
  const settings = deps.config.connectors.leads as LeadsConfig | undefined;
  const maxBytes = settings?.importMaxBytes ?? 10 * 1024 * 1024;

  app.post('/imports/leads', auth, async (c) => {
    const type = (c.req.header('content-type') ?? '').toLowerCase();
    // The media type exactly (text/csv-foo is another type); utf8 is how many tools spell utf-8.
    // Every refusal of the file carries `line` (null: no line is at fault), as the OpenAPI document says.
    if (type.split(';')[0]!.trim() !== 'text/csv') return c.json({ error: 'send the CSV as Content-Type: text/csv (UTF-8)', line: null }, 415);
    const charset = /charset=([^;\s]+)/.exec(type)?.[1]?.replaceAll('"', '');
    if (charset && charset !== 'utf-8' && charset !== 'utf8') return c.json({ error: `the CSV must be UTF-8, the request says charset=${charset}`, line: null }, 415);
    const declared = Number(c.req.header('content-length') ?? Number.NaN);
    if (Number.isFinite(declared) && declared > maxBytes) {
      return c.json({ error: `the file is ${declared} bytes, over the limit of ${maxBytes} (LEAD_IMPORT_MAX_BYTES); nothing was imported`, line: null }, 413);
    }
    // A chunked upload declares no length: it is counted as it streams in and refused at the limit,
    // never read whole first.
    const body = await readBodyWithLimit(c, maxBytes);
    if (!body.ok) return c.json({ error: `the file is over the limit of ${maxBytes} bytes (LEAD_IMPORT_MAX_BYTES); nothing was imported`, line: null }, 413);
    try {
      return c.json(await startLeadImport(deps.engine, body.bytes, maxBytes), 202);
    } catch (error) {
      if (error instanceof LeadImportRefused) return c.json({ error: error.message, line: error.line }, error.status);
      throw error;
    }
  });
  return app;
}

export const leadImportDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/imports/leads',
    tag: 'operations',
    summary: 'Import a booth-scan CSV of partner leads (D22)',
    description: `UTF-8 CSV (RFC 4180, a BOM is fine) with the header ${LEAD_IMPORT_COLUMNS.join(',')} (any order). Each row is checked: email, phone (optional: a Channel lead without one is not shared in the PRM, whose sync needs it, and ops are told; D22), event, visited_on (YYYY-MM-DD, no further from the day of the import than the lead-routing table's date_window_days_before and date_window_days_after: a year typed wrong is refused), crm_partner_id (optional; 18 characters or the 15-character form); opted_in must be yes or true for the lead to be opted in. Accepted rows go to Marketo in a lead-import run, 300 a call; those with a CRM Partner ID are routed (D20, D21). A wrong header, a file that is not UTF-8 or CSV, or one over LEAD_IMPORT_MAX_BYTES is refused whole, naming the line.`,
    auth: true,
    body: { schema: z.string().describe('The CSV text'), contentTypes: ['text/csv'] },
    responses: {
      202: { description: 'Checked: the report, and the run taking the accepted rows to Marketo', schema: LeadImportAnswer },
      400: { description: 'Refused whole (wrong header, not CSV): the reason and the line; nothing imported', schema: RefusedFile },
      401: { description: 'No or a wrong bearer token', schema: ErrorBody },
      413: { description: 'Over LEAD_IMPORT_MAX_BYTES; nothing imported', schema: RefusedFile },
      415: { description: 'Not text/csv, or not UTF-8 (the line named); nothing imported', schema: RefusedFile },
    },
  },
];
