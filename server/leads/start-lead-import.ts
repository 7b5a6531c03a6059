import { createHash } from 'node:crypto';
import { chunk } from '../../connectors/kit/batch.ts';
import { MARKETO_LIMITS } from '../../connectors/marketo/marketo-limits.ts';
import { PARTNER_LEAD_FIELDS as F } from '../../connectors/marketo/marketo-lead-fields.ts';
import type { Engine } from '../engine/engine.ts';
import { checkLeadImport, type ImportedLead, type LeadImportCheck, type VisitDateWindow } from './lead-import-file.ts';

/** The recipe an accepted import runs in (recipes/leads/lead-import.recipe.json). */
export const LEAD_IMPORT_RECIPE = 'lead-import';

/** The answer to an import: what was checked, and the run that takes it to Marketo. */
export interface LeadImportReport {
  /** The file's SHA-256 (first 16 hex digits): the same file imported again is this import again. */
  import_id: string;
  /** The run that upserts the leads and starts their routing; null when no row was accepted. */
  run_id: string | null;
  /** True when this file was imported before: its run is the first one, nothing is imported twice. */
  already_imported: boolean;
  accepted: number;
  refused: LeadImportCheck['refused'];
  not_opted_in: LeadImportCheck['not_opted_in'];
  /** Marketo calls the run makes (300 leads each), and leads it routes (those with a CRM Partner ID). */
  batches: number;
  to_route: number;
  /** The import run's status now (an import posted again shows how the first one went); null without a run. */
  run_status: string | null;
  /** What went wrong with the run when it failed, and how to resume it; null otherwise. */
  run_error: string | null;
}

/** The Marketo fields of an imported lead (D22: opted in only on an explicit yes, otherwise not sent, so an earlier opt-in is kept). */
function marketoFields(lead: ImportedLead): Record<string, unknown> {
  return {
    email: lead.email,
    ...(lead.first_name ? { firstName: lead.first_name } : {}),
    ...(lead.last_name ? { lastName: lead.last_name } : {}),
    ...(lead.company ? { company: lead.company } : {}),
    // No phone in the row: none sent (Marketo keeps one it has; the routing reads it, D22).
    ...(lead.phone ? { phone: lead.phone } : {}),
    leadSource: 'Booth Scan',
    ...(lead.crm_partner_id ? { [F.crmPartnerId.name]: lead.crm_partner_id } : {}),
    ...(lead.opted_in ? { [F.optedIn.name]: true } : {}),
  };
}

/**
 * One journaled batch of the import: the Marketo records and the rows to route. A person listed once per
 * partner of a joint booth (same email, another CRM Partner ID) is one Marketo record, sent once (two
 * records of one email in a call could make Marketo create the person twice), and a routing per row,
 * each pointing at that record's result. Later rows add to the record (the last CRM Partner ID, an
 * explicit opt-in): the lead routed last names its partner in Marketo, as a second import would.
 */
function importBatch(leads: ImportedLead[]) {
  const marketo: Array<Record<string, unknown>> = [];
  // Each Marketo record's rows in the file, for an ops email naming a lead Marketo skipped (D22): a
  // joint-booth person skipped is every one of its rows not routed, and ops import each again.
  const rowsOf: number[][] = [];
  const positionOf = new Map<string, number>();
  const routing = leads.flatMap((lead) => {
    let position = positionOf.get(lead.email);
    if (position === undefined) {
      position = marketo.push(marketoFields(lead)) - 1;
      rowsOf.push([lead.row]);
      positionOf.set(lead.email, position);
    } else {
      marketo[position] = { ...marketo[position], ...marketoFields(lead) };
      rowsOf[position]!.push(lead.row);
    }
    return lead.crm_partner_id
      ? [{ position, row: lead.row, email: lead.email, first_name: lead.first_name, last_name: lead.last_name, company: lead.company, phone: lead.phone, crm_partner_id: lead.crm_partner_id, event: lead.event, date: lead.visited_on }]
      : [];
  });
  // "2", or "2, 7" for a person on several rows (the email template says "rows" then).
  return { marketo, rows: rowsOf.map((rows) => rows.join(', ')), routing };
}

/** Days a window column allows: the table's whole number of days, or the shipped value when ops left the column out. */
function windowDays(value: unknown, absent: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : absent;
}

/**
 * The window of visit dates the import accepts (D21, D22): from the lead-routing table's
 * date_window_days_before and date_window_days_after (365 and 1 when absent), around today (UTC).
 */
function visitDateWindow(engine: Engine): VisitDateWindow {
  const row = engine.tables.rows('lead-routing')?.[0] ?? {};
  return {
    today: new Date(engine.clock.now()).toISOString().slice(0, 10),
    daysBefore: windowDays(row.date_window_days_before, 365),
    daysAfter: windowDays(row.date_window_days_after, 1),
  };
}

/**
 * Checks a booth-scan CSV (D22) and, when rows are accepted, starts the `lead-import` run that takes
 * them to Marketo in batches of 300 (durably, one journaled step a batch) and routes those with a CRM
 * Partner ID. The run is keyed by the file's hash: the same file twice starts one run.
 */
export async function startLeadImport(engine: Engine, bytes: Uint8Array, maxBytes: number): Promise<LeadImportReport> {
  const check = checkLeadImport(bytes, maxBytes, visitDateWindow(engine));
  const importId = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const batches = chunk(check.accepted, MARKETO_LIMITS.batchSize).map(importBatch);
  const toRoute = batches.reduce((n, b) => n + b.routing.length, 0);
  let runId: string | null = null;
  let again = false;
  let status: string | null = null;
  let runError: string | null = null;
  if (check.accepted.length > 0) {
    const started = await engine.startRun(LEAD_IMPORT_RECIPE, { import_id: importId, batches }, { dedupKey: `lead-import:${importId}`, type: 'import', event: 'leads.import' });
    runId = started.id;
    again = !started.created;
    // The same file again is the first import: say how that one went, so a failed one is not taken for done.
    const run = await engine.store.getRun(started.id);
    status = run?.status ?? 'queued';
    if (run?.status === 'failed') {
      runError = `the first import of this file failed${run.error ? ` at ${run.error.stepKey ?? 'a step'}: ${run.error.message}` : ''}; nothing was imported again: resume it with POST /runs/${started.id}/retry`;
    }
  }
  return {
    import_id: importId,
    run_id: runId,
    already_imported: again,
    accepted: check.accepted.length,
    refused: check.refused,
    not_opted_in: check.not_opted_in,
    batches: batches.length,
    to_route: toRoute,
    run_status: status,
    run_error: runError,
  };
}
