import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { CONNECTORS } from '../../connectors/index.ts';
import { silentLog } from '../../connectors/kit/define-connector.ts';
import { createSimulatedSystems, startSimulatedSystems, type SimulatedSystems } from '../../mocks/simulated-systems.ts';
import type { Recipe } from '../../schemas/recipe.ts';
import type { Scenario, ScenarioStep } from '../../schemas/scenario.ts';
import { loadConfig, type RuntimeConfig } from '../config.ts';
import { advanceTime } from '../engine/advance-time.ts';
import { addIsoDuration } from '../engine/business-calendar.ts';
import { VirtualClock } from '../engine/clock.ts';
import type { Tables } from '../engine/tables.ts';
import { signedDelivery } from '../http/webhook-signature.ts';
import { createRuntime, type Runtime } from '../runtime.ts';
import { didYouMean } from '../recipes/closest-name.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { checkNoEmailsTo, checkRecords, closestMismatch, describeEmail, describeExpectedEmail, emailMatches, indent, isAddressedTo, type MailboxEmail } from './expectations.ts';
import { ambiguousClick } from './click-ambiguity.ts';
import { changePartner, changeSalesforceRecords, retryFailedRun, workLead } from './ops-steps.ts';
import { changeClaim, claimByTitle, submitClaim } from './claim-steps.ts';
import { checkInterestingMoments, checkMarketoChanges, checkMarketoUsage, importLeads, mergeMarketoLeads } from './lead-steps.ts';
import { checkRuns } from './run-expectations.ts';
import { ScenarioTables } from './scenario-tables.ts';
import { recipeTableProblems } from '../engine/table-keys.ts';

export interface ScenarioResult {
  name: string;
  file: string;
  rules: string[];
  failures: string[];
  durationMs: number;
}

export interface ScenarioContext {
  recipes: Array<{ definition: Recipe; file: string }>;
  tables: Tables;
  /** Connector settings of the scenario's runtime (e.g. another email templates folder). @default harnessConfig().connectors */
  connectors?: Record<string, unknown>;
  /**
   * Run every step even after one failed, and report each failing step (`partnerflow test --keep-going`):
   * to see every expectation that does not hold at once. Later failures may be consequences of earlier ones.
   */
  keepGoing?: boolean;
}

const PUBLIC_BASE_URL = 'https://partnerflow.scenario.test';

/**
 * The configuration every scenario runs with: mock mode on an in-memory store. It reads no environment
 * variable, so a shell's PRM_BASE_URL cannot point a scenario at a real system; `folders` gives the
 * only settings a scenario takes from the user, where the recipes and the email templates are
 * (`partnerflow test` passes RECIPES_DIR and EMAIL_TEMPLATES_DIR; the templates default to
 * `<RECIPES_DIR>/email-templates`, as for serve). Recipes are checked against the same connector settings.
 */
export function harnessConfig(folders: { RECIPES_DIR?: string; EMAIL_TEMPLATES_DIR?: string } = {}): RuntimeConfig {
  return loadConfig({ RECIPES_DIR: folders.RECIPES_DIR, EMAIL_TEMPLATES_DIR: folders.EMAIL_TEMPLATES_DIR }, { mock: true, connectors: CONNECTORS, overrides: { dbPath: ':memory:', publicBaseUrl: PUBLIC_BASE_URL, logLevel: 'silent' } });
}

/**
 * Runs one scenario against a fresh runtime: an in-memory store, freshly seeded simulated systems and
 * a virtual clock. Steps run in order; the first failing step ends the scenario (later steps would
 * mostly report consequences of the same fault), unless `context.keepGoing` asks for every failure.
 */
export async function runScenario(scenario: z.output<typeof Scenario>, file: string, context: ScenarioContext): Promise<ScenarioResult> {
  const started = performance.now();
  const clock = new VirtualClock(scenario.clock);
  const systems = createSimulatedSystems({ clock });
  const failures: string[] = [];
  try {
    systems.seed({ prm: scenario.seed.prm, salesforce: scenario.seed.salesforce, marketo: scenario.seed.marketo });
  } catch (error) {
    // A seed the simulated systems refuse is the scenario's mistake: say so, as a failure of this file.
    failures.push(`seed: ${(error as Error).message}`);
    return { name: scenario.name, file, rules: scenario.rules, failures, durationMs: performance.now() - started };
  }
  const interceptor = startSimulatedSystems(systems);
  let runtime: Runtime | undefined;
  try {
    const tables = new ScenarioTables(context.tables, scenario.seed, (view) => recipeTableProblems(context.recipes, view, 'change_table'));
    const defaults = harnessConfig();
    const config = { ...defaults, connectors: context.connectors ?? defaults.connectors };
    runtime = await createRuntime({
      config,
      log: silentLog,
      clock,
      store: await openSqliteStore({ path: ':memory:' }),
      recipes: context.recipes,
      tables,
      systems,
      interceptNetwork: false,
    });
    const driver = new ScenarioDriver(runtime, systems, clock, context.recipes.map((r) => r.definition.name), tables, file);
    for (const [index, step] of scenario.steps.entries()) {
      const problems = await driver.step(step);
      if (problems.length > 0) {
        failures.push(`step ${index + 1} (${Object.keys(step)[0]}) at ${new Date(clock.now()).toISOString()}:\n${problems.map((p) => indent(p, '    ')).join('\n')}`);
        if (!context.keepGoing) break;
      }
    }
  } catch (error) {
    failures.push(`the scenario could not run: ${(error as Error).message}`);
  } finally {
    await runtime?.close().catch(() => {});
    interceptor.close();
  }
  return { name: scenario.name, file, rules: scenario.rules, failures, durationMs: performance.now() - started };
}

/** Performs scenario steps the way a user would: over HTTP for webhooks and links, in the mocks for ops' edits. */
class ScenarioDriver {
  #emailCursor = 0;
  /** The simulated Marketo's usage at the previous expect (null: none yet), so `marketo` counts the calls since. */
  #marketoBefore: ReturnType<SimulatedSystems['marketo']['usage']> | null = null;

  constructor(
    readonly runtime: Runtime,
    readonly systems: SimulatedSystems,
    readonly clock: VirtualClock,
    readonly recipeNames: readonly string[],
    readonly tables: ScenarioTables,
    readonly file: string,
  ) {}

  async step(step: ScenarioStep): Promise<string[]> {
    if ('deliver' in step) return this.deliver(step.deliver);
    if ('click' in step) return this.click(step.click);
    if ('update' in step) return this.update(step.update);
    if ('change_partner' in step) return changePartner(this.systems, step.change_partner);
    if ('submit_claim' in step) return submitClaim(this.systems, step.submit_claim, (event, data, id, status) => this.sendWebhook('prm', event, data, id, status));
    if ('change_claim' in step) return changeClaim(this.systems, step.change_claim, (event, data) => this.sendWebhook('prm', event, data, randomUUID(), 202));
    if ('fault' in step) {
      const f = step.fault;
      // An outage (`for`) hits every matching request until it ends, unless `times` bounds it.
      const until = f.for === undefined ? undefined : addIsoDuration(this.clock.now(), f.for);
      const times = f.times ?? (until === undefined ? 1 : Number.MAX_SAFE_INTEGER);
      this.systems.faults.inject({ system: f.system, kind: f.kind, times, until, path: f.path, method: f.method, to: f.to, subject: f.subject, retryAfterSeconds: f.retry_after_seconds });
      return [];
    }
    if ('retry' in step) return retryFailedRun(this.runtime, this.recipeNames, step.retry);
    if ('change_table' in step) {
      const problems = this.tables.change(step.change_table);
      // As a restart after ops edit the file does: pending timers follow a changed offsets table.
      if (problems.length === 0) await this.runtime.engine.businessTimers.syncTableOffsets(this.clock.now());
      return problems;
    }
    if ('change_salesforce' in step) return changeSalesforceRecords(this.systems, step.change_salesforce);
    if ('import_leads' in step) return importLeads(this.runtime, step.import_leads, this.file);
    if ('work_lead' in step) return workLead(this.systems, step.work_lead);
    if ('merge_marketo_leads' in step) return mergeMarketoLeads(this.systems, step.merge_marketo_leads);
    if ('advance' in step) {
      await advanceTime(this.runtime.engine, this.clock, addIsoDuration(this.clock.now(), step.advance) - this.clock.now());
      return [];
    }
    if ('set_clock' in step) {
      const target = Date.parse(step.set_clock);
      if (target < this.clock.now()) return [`set_clock ${step.set_clock} is before the current time ${new Date(this.clock.now()).toISOString()}; the clock only moves forward`];
      await advanceTime(this.runtime.engine, this.clock, target - this.clock.now());
      return [];
    }
    return this.expect(step.expect);
  }

  async deliver(d: Extract<ScenarioStep, { deliver: unknown }>['deliver']): Promise<string[]> {
    let data = d.data;
    if (d.mdf_request !== undefined) {
      const record = this.systems.prm.findMdfRequest(d.mdf_request);
      if (!record) return [`deliver: the PRM has no MDF request ${d.mdf_request}`];
      data = record as Record<string, unknown>;
    }
    if (d.mdf_claim !== undefined) {
      const claim = claimByTitle(this.systems, d.mdf_claim);
      if (typeof claim === 'string') return [`deliver: ${claim}`];
      data = claim as Record<string, unknown>;
    }
    if (data === undefined) return ['deliver: give `data`, `mdf_request` or `mdf_claim`'];
    return this.sendWebhook(d.source, d.event, data, d.delivery_id ?? randomUUID(), d.expect_status);
  }

  async sendWebhook(source: string, event: string, data: unknown, deliveryId: string, expectStatus: number): Promise<string[]> {
    const secret = this.runtime.config.webhookSecrets[source] ?? 'no-secret-for-this-source';
    // The backlog the webhook is checked against, counted now: the runtime counts it at most every 200 ms
    // of real time and ages it on the engine clock in between, and a scenario's clock can jump hours in
    // less, so a count taken before the jump (a run then due, since started) read as that many hours
    // behind and the webhook was refused with 503 (seen in CI under load).
    await this.runtime.engine.dueBacklog.refresh();
    const delivery = signedDelivery({ secret, deliveryId, event, data, timestampSeconds: Math.floor(this.clock.now() / 1000) });
    const res = await this.runtime.app.request(`/webhooks/${source}`, { method: 'POST', headers: delivery.headers, body: delivery.body });
    const text = await res.text();
    await this.runtime.engine.runUntilIdle();
    return res.status === expectStatus ? [] : [`webhook ${source}.${event} answered ${res.status}, expected ${expectStatus}: ${text}`];
  }

  async click(c: Extract<ScenarioStep, { click: unknown }>['click']): Promise<string[]> {
    // An approver may be copied or blind-copied (a fault's `to` matches Bcc too): every recipient's email counts.
    const emails = this.mailbox().filter((e) => isAddressedTo(e, c.to, { cc: true, bcc: true }));
    const pattern = new RegExp(`\\S+/approvals/[A-Za-z0-9_-]+\\?decision=${c.link}`);
    const chosen = emails.filter((e) => (c.subject === undefined || e.subject.includes(c.subject)) && (c.body_contains === undefined || e.text.includes(c.body_contains)));
    if (c.subject === undefined && c.body_contains === undefined) {
      const ambiguous = await ambiguousClick(c.to, chosen.filter((e) => pattern.test(e.text)), this.runtime.store, this.clock.now());
      if (ambiguous) return [ambiguous];
    }
    const withLink = chosen.reverse().find((e) => pattern.test(e.text));
    if (!withLink) return [noEmailToClick(c, emails)];
    const url = new URL(withLink.text.match(pattern)![0]);
    if (url.origin !== PUBLIC_BASE_URL) return [`click: the link points at ${url.origin}, not the configured PUBLIC_BASE_URL ${PUBLIC_BASE_URL}`];
    const page = await this.runtime.app.request(url.pathname + url.search);
    const pageText = await page.text();
    if (!c.confirm) return checkPage(page.status, pageText, c, 'GET');
    if (page.status >= 500) return [`click: opening the link failed with ${page.status}: ${pageText}`];
    const form = new URLSearchParams({ decision: c.link, ...(c.comment ? { comment: c.comment } : {}) });
    const res = await this.runtime.app.request(url.pathname, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    const resText = await res.text();
    await this.runtime.engine.runUntilIdle();
    return checkPage(res.status, resText, c, 'POST');
  }

  async update(u: Extract<ScenarioStep, { update: unknown }>['update']): Promise<string[]> {
    const record = this.systems.prm.updateMdfRequest(u.mdf_request, u.set);
    if (!record) return [`update: the PRM has no MDF request ${u.mdf_request}`];
    if (u.event === '') return [];
    return this.sendWebhook('prm', u.event, record, randomUUID(), 202);
  }

  async expect(e: Extract<ScenarioStep, { expect: unknown }>['expect']): Promise<string[]> {
    const failures: string[] = [];
    const all = this.mailbox();
    const fresh = all.slice(this.#emailCursor);
    this.#emailCursor = all.length;
    const unmatched = [...fresh];
    for (const expected of e.emails ?? []) {
      const i = unmatched.findIndex((m) => emailMatches(expected, m));
      if (i >= 0) {
        unmatched.splice(i, 1);
        continue;
      }
      const hint = closestMismatch(expected, fresh);
      failures.push(
        `expected ${describeExpectedEmail(expected)}\n  actual: ${hint ?? (fresh.length ? `emails sent since the previous expect:\n${fresh.map((m) => `    - ${describeEmail(m)}`).join('\n')}` : 'no email was sent since the previous expect')}`,
      );
    }
    if (e.no_other_emails && unmatched.length > 0) {
      failures.push(`expected no other emails, but these were also sent:\n${unmatched.map((m) => `    - ${describeEmail(m)}`).join('\n')}`);
    }
    failures.push(...checkNoEmailsTo(e.no_emails_to ?? [], fresh));
    for (const expected of e.records ?? []) {
      const records = this.records(expected.system, expected.object);
      failures.push(...(typeof records === 'string' ? [records] : checkRecords(expected, records)));
    }
    failures.push(...checkInterestingMoments(this.systems, e.interesting_moments ?? []));
    failures.push(...checkMarketoChanges(this.systems, e.marketo_changes ?? []));
    failures.push(...(await checkRuns(this.runtime.store, e.runs ?? [], this.recipeNames)));
    const usage = this.systems.marketo.usage();
    failures.push(...checkMarketoUsage(usage, this.#marketoBefore ?? { calls: 0, callsToday: 0, peakInFlight: 0, refused: { '606': 0, '607': 0, '615': 0 } }, e.marketo));
    this.#marketoBefore = usage;
    return failures;
  }

  mailbox(): MailboxEmail[] {
    return this.systems.email.messages().map((m) => ({ to: m.to, cc: m.cc, bcc: m.bcc ?? [], subject: m.subject, text: m.text, html: m.html }));
  }

  /** The records of an object, or why there are none to check: a misspelt object must fail, not match nothing. */
  records(system: 'prm' | 'salesforce' | 'marketo', object: string): Array<Record<string, unknown>> | string {
    if (system === 'marketo') return object === 'lead' ? this.systems.marketo.leads() : `the simulated Marketo has no object "${object}"; it has: lead`;
    // The PRM objects a scenario can name, and how to read each: one list, so names and readers agree.
    const prm: Record<string, () => unknown[]> = {
      mdf_request: () => this.systems.prm.mdfRequests(),
      mdf_claim: () => this.systems.prm.mdfClaims(),
      partner: () => this.systems.prm.partners(),
      lead: () => this.systems.prm.leads(),
    };
    const known = system === 'prm' ? Object.keys(prm) : this.systems.salesforce.objects();
    if (!known.includes(object)) {
      return `the simulated ${system === 'prm' ? 'PRM' : 'Salesforce'} has no object "${object}"${didYouMean(object, known)}; it has: ${known.join(', ')}`;
    }
    if (system === 'salesforce') return this.systems.salesforce.records(object);
    return prm[object]!() as Array<Record<string, unknown>>;
  }
}

type Click = Extract<ScenarioStep, { click: unknown }>['click'];

/** Why no email could be clicked: which emails the address got, so a wrong `subject` or `body_contains` shows. */
function noEmailToClick(c: Click, emails: MailboxEmail[]): string {
  const filters = [c.subject !== undefined ? `subject containing "${c.subject}"` : '', c.body_contains !== undefined ? `body containing "${c.body_contains}"` : ''].filter(Boolean);
  const which = `email to ${c.to}${filters.length ? ` with ${filters.join(' and ')}` : ''}`;
  const got = emails.length ? `; the emails to ${c.to}:\n${emails.map((m) => `    - ${describeEmail(m)}`).join('\n')}` : `; ${c.to} got no email`;
  return `click: no ${which} has a ${c.link} link${got}`;
}

function checkPage(status: number, text: string, c: Click, method: string): string[] {
  const failures: string[] = [];
  const says = stripTags(text).slice(0, 300);
  if (status !== c.expect_status) failures.push(`${method} of the approval link answered ${status}, expected ${c.expect_status}: ${says}`);
  if (c.expect_page_contains !== undefined && !text.includes(c.expect_page_contains)) failures.push(`the page does not contain "${c.expect_page_contains}"; it says: ${says}`);
  if (c.expect_page_not_contains !== undefined && text.includes(c.expect_page_not_contains)) failures.push(`the page contains "${c.expect_page_not_contains}", which it must not; it says: ${says}`);
  return failures;
}

function stripTags(html: string): string {
  return html.replace(/<style[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
}
