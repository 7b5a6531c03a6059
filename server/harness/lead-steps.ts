import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { MARKETO_ACTIVITY_TYPES } from '../../connectors/marketo/marketo-lead-fields.ts';
import type { MarketoUsageReport } from '../../mocks/marketo/marketo-usage.ts';
import type { SimulatedSystems } from '../../mocks/simulated-systems.ts';
import type { ScenarioStep } from '../../schemas/scenario.ts';
import type { Runtime } from '../runtime.ts';

type ImportStep = Extract<ScenarioStep, { import_leads: unknown }>['import_leads'];
type MergeStep = Extract<ScenarioStep, { merge_marketo_leads: unknown }>['merge_marketo_leads'];
type Expect = Extract<ScenarioStep, { expect: unknown }>['expect'];

/**
 * `import_leads`: ops post a booth-scan CSV to `POST /imports/leads` (D22), as a user does; the runs it
 * starts then run until idle. Checks the status and, when asked, the report's rows.
 */
export async function importLeads(runtime: Runtime, step: ImportStep, scenarioFile: string): Promise<string[]> {
  const body = step.csv !== undefined ? new TextEncoder().encode(step.csv) : await readFile(resolve(dirname(scenarioFile), step.file!));
  const res = await runtime.app.request('/imports/leads', { method: 'POST', headers: { 'content-type': 'text/csv' }, body });
  const answer = (await res.json()) as Record<string, unknown>;
  await runtime.engine.runUntilIdle();
  const shown = JSON.stringify(answer);
  if (res.status !== step.expect_status) return [`import_leads answered ${res.status}, expected ${step.expect_status}: ${shown}`];
  const failures: string[] = [];
  if (step.expect_error !== undefined && !String(answer.error ?? '').includes(step.expect_error)) failures.push(`import_leads: the error should contain ${JSON.stringify(step.expect_error)}; answer: ${shown}`);
  if (step.expect_accepted !== undefined && answer.accepted !== step.expect_accepted) failures.push(`import_leads: expected ${step.expect_accepted} rows accepted, the report says ${String(answer.accepted)}: ${shown}`);
  if (step.expect_already_imported !== undefined && answer.already_imported !== step.expect_already_imported) failures.push(`import_leads: expected already_imported ${step.expect_already_imported}: ${shown}`);
  if (step.expect_run_status !== undefined && answer.run_status !== step.expect_run_status) failures.push(`import_leads: expected run_status ${step.expect_run_status}: ${shown}`);
  if (step.expect_run_error !== undefined && !String(answer.run_error ?? '').includes(step.expect_run_error)) failures.push(`import_leads: run_error should contain ${JSON.stringify(step.expect_run_error)}: ${shown}`);
  if (step.expect_refused !== undefined) {
    const refused = (answer.refused ?? []) as Array<{ row: number; reason: string }>;
    const ok = refused.length === step.expect_refused.length && step.expect_refused.every((e) => refused.some((r) => r.row === e.row && r.reason.includes(e.reason)));
    if (!ok) failures.push(`import_leads: expected refused rows ${JSON.stringify(step.expect_refused)}, the report says ${JSON.stringify(refused)}`);
  }
  if (step.expect_not_opted_in !== undefined) {
    const rows = ((answer.not_opted_in ?? []) as Array<{ row: number }>).map((r) => r.row).sort((a, b) => a - b);
    const wanted = [...step.expect_not_opted_in].sort((a, b) => a - b);
    if (JSON.stringify(rows) !== JSON.stringify(wanted)) failures.push(`import_leads: expected rows ${JSON.stringify(wanted)} imported but not opted in, the report says ${JSON.stringify(rows)}`);
  }
  return failures;
}

/** `interesting_moments`: each entry's Interesting Moment activities in Marketo (D21), by lead email. */
export function checkInterestingMoments(systems: SimulatedSystems, expected: NonNullable<Expect['interesting_moments']>): string[] {
  const failures: string[] = [];
  const moments = systems.marketo.activities().filter((a) => a.activityTypeId === MARKETO_ACTIVITY_TYPES.interestingMoment.id);
  for (const e of expected) {
    const leadIds = new Set(systems.marketo.findLeads('email', e.email).map((l) => l.id));
    const theirs = moments.filter((m) => leadIds.has(m.leadId));
    const described = (m: (typeof moments)[number]) => String(m.attributes.find((a) => a.name === 'Description')?.value ?? m.primaryAttributeValue ?? '');
    const matching = theirs.filter((m) => e.contains === undefined || described(m).includes(e.contains));
    const ok = e.count === undefined ? matching.length > 0 : matching.length === e.count;
    if (!ok) {
      failures.push(
        `expected ${e.count ?? 'at least 1'} interesting moment(s) for ${e.email}${e.contains ? ` containing ${JSON.stringify(e.contains)}` : ''}, found ${matching.length}; ${leadIds.size === 0 ? 'Marketo has no lead with this email' : `its moments: ${theirs.length ? theirs.map((m) => JSON.stringify(described(m))).join('; ') : 'none'}`}`,
      );
    }
  }
  return failures;
}

/**
 * `merge_marketo_leads`: ops merge the duplicates of an email in Marketo (the UI does what
 * `POST /v1/leads/<id>/merge.json` does): every other lead of the email into `into` (default: the
 * lowest id). Fewer than two leads, or `into` not among them, is the scenario's mistake, not a no-op.
 */
export function mergeMarketoLeads(systems: SimulatedSystems, step: MergeStep): string[] {
  const ids = systems.marketo.findLeads('email', step.email).map((l) => l.id).sort((a, b) => a - b);
  if (ids.length < 2) return [`merge_marketo_leads: the simulated Marketo has ${ids.length === 0 ? 'no lead' : `one lead only (${ids[0]})`} with email ${step.email}: nothing to merge`];
  const into = step.into ?? ids[0]!;
  if (!ids.includes(into)) return [`merge_marketo_leads: lead ${into} has not the email ${step.email}; its leads: ${ids.join(', ')}`];
  systems.marketo.mergeLeads(into, ids.filter((id) => id !== into));
  return [];
}

/** `marketo_changes`: how many Change Data Value activities of a field the Marketo lead of an email has. */
export function checkMarketoChanges(systems: SimulatedSystems, expected: NonNullable<Expect['marketo_changes']>): string[] {
  const failures: string[] = [];
  const changes = systems.marketo.activities().filter((a) => a.activityTypeId === MARKETO_ACTIVITY_TYPES.changeDataValue.id);
  const fields = new Map(systems.marketo.fields().map((f) => [f.name.toLowerCase(), f]));
  for (const e of expected) {
    const field = fields.get(e.field.toLowerCase());
    if (!field) {
      failures.push(`marketo_changes: the simulated Marketo has no lead field ${e.field} (fields by API name, connectors/marketo/marketo-lead-fields.ts)`);
      continue;
    }
    const leads = systems.marketo.findLeads('email', e.email);
    const leadIds = new Set(leads.map((l) => l.id));
    const theirs = changes.filter((c) => leadIds.has(c.leadId) && c.primaryAttributeValue === field.label);
    if (theirs.length !== e.count) {
      const shown = theirs.map((c) => `lead ${c.leadId} at ${c.activityDate}: ${JSON.stringify(c.attributes.find((a) => a.name === 'New Value')?.value)}`);
      failures.push(`expected ${e.count} change(s) of ${field.name} on the Marketo lead of ${e.email}, found ${theirs.length}${leads.length === 0 ? ' (Marketo has no lead with this email)' : shown.length ? `: ${shown.join('; ')}` : ''}`);
    }
  }
  return failures;
}

/** `marketo`: the calls the simulated Marketo answered and refused since the previous expect (`before`: its usage then). */
export function checkMarketoUsage(now: MarketoUsageReport, before: MarketoUsageReport, expected: Expect['marketo']): string[] {
  if (!expected) return [];
  const failures: string[] = [];
  const calls = now.calls - before.calls;
  if (expected.calls !== undefined && calls !== expected.calls) failures.push(`expected ${expected.calls} Marketo call(s) since the previous expect, found ${calls}`);
  if (expected.calls_at_most !== undefined && calls > expected.calls_at_most) failures.push(`expected at most ${expected.calls_at_most} Marketo call(s) since the previous expect, found ${calls}`);
  for (const [code, want] of Object.entries(expected.refused ?? {}) as Array<['606' | '607' | '615', number]>) {
    const got = now.refused[code] - before.refused[code];
    if (got !== want) failures.push(`expected ${want} Marketo call(s) refused with ${code} since the previous expect, found ${got}`);
  }
  if (expected.peak_in_flight_at_most !== undefined && now.peakInFlight > expected.peak_in_flight_at_most) {
    failures.push(`expected at most ${expected.peak_in_flight_at_most} Marketo calls in flight at once, found ${now.peakInFlight}`);
  }
  return failures;
}
