import { matchesWhere } from './expectations.ts';
import type { SimulatedSystems } from '../../mocks/simulated-systems.ts';
import type { ScenarioStep } from '../../schemas/scenario.ts';
import { didYouMean } from '../recipes/closest-name.ts';
import type { Runtime } from '../runtime.ts';


/**
 * `retry`: ops retry a failed run the way they would, with `POST /runs/:id/retry`, then the runtime
 * works until idle. Which run: the failed one of the recipe, or the one with the business `key` (its
 * correlation or dedup key) when several failed; guessing among several would make a scenario pass by luck.
 */
export async function retryFailedRun(runtime: Runtime, recipeNames: readonly string[], r: Extract<ScenarioStep, { retry: unknown }>['retry']): Promise<string[]> {
  const runs = await runtime.store.listRuns({ recipe: r.recipe, limit: 1000 });
  const withKey = (run: (typeof runs)[number]) => r.key === undefined || run.correlationKey === r.key || run.dedupKey === r.key || run.concurrencyKey === r.key;
  let failed = runs.filter((run) => run.status === 'failed' && withKey(run));
  // A refusal expected for the run of a key that failed and has since ended otherwise (an event canceled
  // it, D12): ops retry the run they saw fail, whatever it is now.
  if (failed.length === 0 && r.key !== undefined && r.expect_status !== 200) failed = runs.filter(withKey);
  const keyText = r.key === undefined ? '' : ` with key ${r.key}`;
  if (failed.length === 0) {
    const unknown = recipeNames.includes(r.recipe) ? '' : `; no recipe is named "${r.recipe}"${didYouMean(r.recipe, recipeNames)}`;
    const statuses = runs.map((run) => `${run.status}${run.correlationKey ? ` (${run.correlationKey})` : ''}`);
    return [`retry: no failed run of ${r.recipe}${keyText}; its runs: ${statuses.length ? statuses.join('; ') : 'none'}${unknown}`];
  }
  if (failed.length > 1) {
    return [`retry: ${failed.length} runs of ${r.recipe} failed (${failed.map((run) => run.correlationKey ?? run.dedupKey).sort().join(', ')}): give \`key\` to say which`];
  }
  const run = failed[0]!;
  const res = await runtime.app.request(`/runs/${run.id}/retry`, { method: 'POST' });
  const text = await res.text();
  await runtime.engine.runUntilIdle();
  return res.status === r.expect_status ? [] : [`retry of the failed run of ${r.recipe}${keyText} answered ${res.status}, expected ${r.expect_status}: ${text}`];
}

/**
 * `change_salesforce`: ops edit records in Salesforce. Every record whose fields equal `where` gets
 * `set`, checked as the org checks an update; no record matching is a failure, not a silent no-op.
 */
export function changeSalesforceRecords(systems: SimulatedSystems, c: Extract<ScenarioStep, { change_salesforce: unknown }>['change_salesforce']): string[] {
  const objects = systems.salesforce.objects();
  if (!objects.includes(c.object)) {
    return [`change_salesforce: the simulated Salesforce has no object "${c.object}"${didYouMean(c.object, objects)}; it has: ${objects.join(', ')}`];
  }
  const records = systems.salesforce.records(c.object);
  const matching = records.filter((record) => matchesWhere(record, c.where));
  if (matching.length === 0) return [`change_salesforce: no ${c.object} record has ${JSON.stringify(c.where)} (${records.length} ${c.object} records in all)`];
  return matching.flatMap((record) => {
    const outcome = systems.salesforce.update(c.object, String(record.Id), c.set);
    return outcome.ok ? [] : [`change_salesforce: Salesforce refused the change of ${c.object} ${String(record.Id)}: ${outcome.errors.join('; ')}`];
  });
}

/**
 * `change_partner`: ops change a partner account in the PRM (its contact email, say) or delete it. The
 * PRM sends no webhook for accounts: runs see the change when they next read the account.
 */
export function changePartner(systems: SimulatedSystems, c: Extract<ScenarioStep, { change_partner: unknown }>['change_partner']): string[] {
  const changed = c.delete ? systems.prm.deletePartner(c.id) : systems.prm.updatePartner(c.id, c.set as Record<string, unknown>) !== undefined;
  if (changed) return [];
  const ids = systems.prm.partners().map((p) => p.id);
  return [`change_partner: the simulated PRM has no partner account ${c.id} (its accounts: ${ids.length ? ids.join(', ') : 'none'})`];
}

/**
 * `work_lead`: a partner changes (or only touches) its lead, in the portal (`in: prm`) or as the change
 * reaches the Marketo lead (`in: marketo`); no such lead is a failure, not a silent no-op.
 */
export function workLead(systems: SimulatedSystems, w: Extract<ScenarioStep, { work_lead: unknown }>['work_lead']): string[] {
  const same = (lead: Record<string, unknown>) => typeof lead.email === 'string' && lead.email.toLowerCase() === w.email.toLowerCase();
  if (w.in === 'marketo') {
    const leads = systems.marketo.leads().filter(same);
    if (leads.length === 0) return [`work_lead: the simulated Marketo has no lead with email ${w.email} (${systems.marketo.leads().length} leads in all)`];
    const names = new Map(systems.marketo.fields().map((f) => [f.name.toLowerCase(), f.name]));
    const unknown = Object.keys(w.set).filter((field) => !names.has(field.toLowerCase()));
    if (unknown.length > 0) return [`work_lead: the simulated Marketo has no lead field ${unknown.join(', ')} (fields by API name, connectors/marketo/marketo-lead-fields.ts)`];
    const set = Object.fromEntries(Object.entries(w.set).map(([field, value]) => [names.get(field.toLowerCase())!, value]));
    for (const lead of leads) systems.marketo.updateLead(lead.id, set);
    return [];
  }
  const leads = systems.prm.leads().filter(same);
  if (leads.length === 0) return [`work_lead: the simulated PRM has no lead with email ${w.email} (${systems.prm.leads().length} leads in all)`];
  for (const lead of leads) systems.prm.updateLead(lead.id as number, w.set);
  return [];
}
