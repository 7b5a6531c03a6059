import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.ts';
import { Scenario } from '../../schemas/scenario.ts';
import { ConnectorCatalog } from '../engine/connector-registry.ts';
import { loadTables } from '../engine/tables.ts';
import { loadRecipes } from '../recipes/load-recipes.ts';
import { harnessConfig, runScenario, type ScenarioContext } from './run-scenario.ts';

/**
 * The harness must fail a scenario whose expectations do not hold, and say what was expected and what
 * happened instead. One small recipe (fixtures/project: a submitted MDF request is confirmed to the
 * partner, set Approved in the PRM and copied to ops) runs under expectations that are each wrong in
 * one way; the shipped scenarios (recipes/scenarios.test.ts) only ever show that right ones pass.
 */
const project = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/project/recipes');
const passing = JSON.parse(readFileSync(join(project, 'passes.scenario.json'), 'utf8')) as { seed: unknown; steps: unknown[] };
const deliver = passing.steps[0];
const SUBJECT = 'We received MDF-9001: Data Days Lisbon';
const AT = 'step 2 (expect) at 2026-03-02T09:00:00.000Z:';

let context: ScenarioContext;
beforeAll(async () => {
  const defaults = harnessConfig().connectors;
  const connectors = { ...defaults, email: { ...(defaults.email as object), templatesDir: join(project, 'email-templates') } };
  const tables = loadTables(join(project, 'tables'));
  const recipes = await loadRecipes(project, { catalog: new ConnectorCatalog(CONNECTORS), tables: tables.names(), connectorConfigs: connectors });
  context = { recipes, tables, connectors };
});

/** The failures of the fixture scenario with these steps (by default: deliver, then the expect). */
async function failuresOf(...steps: unknown[]): Promise<string[]> {
  const scenario = Scenario.parse({ name: 'a scenario under test', seed: passing.seed, steps });
  const result = await runScenario(scenario, 'under-test.scenario.json', context);
  return result.failures.flatMap((failure) => failure.split('\n'));
}

const expecting = (expectation: Record<string, unknown>) => failuresOf(deliver, { expect: expectation });

describe('the harness reports what a scenario expected and what happened', () => {
  it('passes the fixture scenario whose expectations hold', async () => {
    const scenario = Scenario.parse(passing);
    expect((await runScenario(scenario, 'passes.scenario.json', context)).failures).toEqual([]);
  });

  describe('emails', () => {
    it('an email to an address that got none, listing the emails that were sent', async () => {
      expect(await expecting({ emails: [{ to: 'finance@adatum.example' }] })).toEqual([
        AT,
        '    expected an email to finance@adatum.example',
        '      actual: emails sent since the previous expect:',
        `        - to marketing@adatum.example: "${SUBJECT}"`,
        `        - to ops@vendor.example: "${SUBJECT}"`,
      ]);
    });

    it('a subject that differs', async () => {
      expect(await expecting({ emails: [{ to: 'marketing@adatum.example', subject: 'Your request is approved' }] })).toEqual([
        AT,
        '    expected an email to marketing@adatum.example, subject containing "Your request is approved"',
        `      actual: the email to marketing@adatum.example has subject "${SUBJECT}"`,
      ]);
    });

    it('a body that lacks a text, showing the body', async () => {
      expect(await expecting({ emails: [{ to: 'marketing@adatum.example', body_contains: ['USD 4000', 'USD 5000'] }] })).toEqual([
        AT,
        '    expected an email to marketing@adatum.example, body containing "USD 4000", body containing "USD 5000"',
        `      actual: the email to marketing@adatum.example ("${SUBJECT}") lacks "USD 5000"; its body:`,
        '          Hello,',
        '',
        '          we received your MDF request MDF-9001 for USD 4000.',
        '',
        '          Partner Marketing',
      ]);
    });

    it('a body that contains a text it must not', async () => {
      expect(await expecting({ emails: [{ to: 'marketing@adatum.example', body_not_contains: 'USD 4000' }] })).toEqual([
        AT,
        '    expected an email to marketing@adatum.example, body without "USD 4000"',
        `      actual: the email to marketing@adatum.example ("${SUBJECT}") contains "USD 4000"`,
      ]);
    });

    it('an email besides those listed, under no_other_emails', async () => {
      expect(await expecting({ emails: [{ to: 'marketing@adatum.example' }], no_other_emails: true })).toEqual([
        AT,
        '    expected no other emails, but these were also sent:',
        `        - to ops@vendor.example: "${SUBJECT}"`,
      ]);
    });

    it('counts only emails sent since the previous expect', async () => {
      const failures = await failuresOf(deliver, { expect: { emails: [{ to: 'marketing@adatum.example' }] } }, { expect: { emails: [{ to: 'marketing@adatum.example' }] } });
      expect(failures).toEqual([
        'step 3 (expect) at 2026-03-02T09:00:00.000Z:',
        '    expected an email to marketing@adatum.example',
        '      actual: no email was sent since the previous expect',
      ]);
    });
  });

  describe('records', () => {
    it('each field that differs, expected against actual', async () => {
      const where = { mdfNumber: 'MDF-9001' };
      expect(await expecting({ records: [{ system: 'prm', object: 'mdf_request', where, fields: { status: 'Denied', statusReason: 'Too late', amountRequested: 4000 } }] })).toEqual([
        AT,
        '    prm mdf_request where {"mdfNumber":"MDF-9001"}: status expected "Denied", actual "Approved"',
        '    prm mdf_request where {"mdfNumber":"MDF-9001"}: statusReason expected "Too late", actual "Approved by the test recipe"',
      ]);
    });

    it('a record that does not exist, and a count that differs', async () => {
      expect(
        await expecting({
          records: [
            { system: 'prm', object: 'mdf_request', where: { mdfNumber: 'MDF-9002' } },
            { system: 'salesforce', object: 'PartnerFundRequest', where: { MDF_Number__c: 'MDF-9001' }, count: 1 },
          ],
        }),
      ).toEqual([
        AT,
        '    expected a record prm mdf_request where {"mdfNumber":"MDF-9002"}, found none (1 mdf_request records in all)',
        '    expected 1 salesforce PartnerFundRequest where {"MDF_Number__c":"MDF-9001"}, found 0',
      ]);
    });

    it('a misspelt field in where, which no record has, even where a count of 0 would otherwise hold', async () => {
      expect(await expecting({ records: [{ system: 'prm', object: 'mdf_request', where: { mdfNumbr: 'MDF-9001', status: 'Denied' }, count: 0 }] })).toEqual([
        AT,
        '    prm mdf_request where {"mdfNumbr":"MDF-9001","status":"Denied"}: no mdf_request record has a field "mdfNumbr" (did you mean "mdfNumber"?), so where can never match',
      ]);
    });

    it('an object the system does not have, even where a count of 0 would otherwise hold', async () => {
      expect(
        await expecting({
          records: [
            { system: 'prm', object: 'mdf_requests', where: { mdfNumber: 'MDF-9001' } },
            { system: 'salesforce', object: 'PartnerFundRequests', where: { MDF_Number__c: 'MDF-9001' }, count: 0 },
          ],
        }),
      ).toEqual([
        AT,
        '    the simulated PRM has no object "mdf_requests" (did you mean "mdf_request"?); it has: mdf_request, mdf_claim, partner, lead',
        expect.stringMatching(/^ {4}the simulated Salesforce has no object "PartnerFundRequests" \(did you mean "PartnerFundRequest"\?\); it has: .*PartnerFundRequest/),
      ]);
    });
  });

  describe('runs', () => {
    it('a status no run has, and a count that differs, with the statuses the runs have', async () => {
      expect(await expecting({ runs: [{ recipe: 'request-notice', status: 'failed' }, { recipe: 'request-notice', status: 'completed', count: 2 }] })).toEqual([
        AT,
        '    expected at least 1 failed run(s) of request-notice, found 0; its runs: completed',
        '    expected 2 completed run(s) of request-notice, found 1; its runs: completed',
      ]);
    });

    it('a recipe that does not exist', async () => {
      expect(await expecting({ runs: [{ recipe: 'request-notise', status: 'completed' }] })).toEqual([
        AT,
        '    expected at least 1 completed run(s) of request-notise, found 0; its runs: none; no recipe is named "request-notise" (did you mean "request-notice"?)',
      ]);
    });

    it('a recipe that does not exist, even where a count of 0 would otherwise hold', async () => {
      expect(await expecting({ runs: [{ recipe: 'request-notise', status: 'failed', count: 0 }] })).toEqual([
        AT,
        '    expected 0 failed run(s) of request-notise, found 0; its runs: none; no recipe is named "request-notise" (did you mean "request-notice"?)',
      ]);
    });
  });

  it('a webhook answered with another status than expected', async () => {
    expect(await failuresOf({ deliver: { event: 'mdf_request.submitted', mdf_request: 'MDF-9001', expect_status: 400 } })).toEqual([
      'step 1 (deliver) at 2026-03-02T09:00:00.000Z:',
      expect.stringMatching(/^ {4}webhook prm\.mdf_request\.submitted answered 202, expected 400: \{"delivery_id":/),
    ]);
  });

  it('stops at the first failing step: what follows would only repeat its consequences', async () => {
    const failures = await failuresOf(deliver, { expect: { runs: [{ recipe: 'request-notice', status: 'failed' }] } }, { expect: { emails: [{ to: 'finance@adatum.example' }] } });
    expect(failures[0]).toBe(AT);
    expect(failures.join('\n')).not.toContain('finance@adatum.example');
  });
});

describe('the harness reports a seed the simulated systems refuse', () => {
  it('fails the scenario naming the seed problem, without running a step', async () => {
    const scenario = Scenario.parse({
      name: 'one MDF number twice',
      seed: { prm: { mdf_requests: [{ mdfNumber: 'MDF-9001' }, { mdfNumber: 'MDF-9001' }] } },
      steps: [deliver],
    });
    expect((await runScenario(scenario, 'under-test.scenario.json', context)).failures).toEqual(['seed: MDF request MDF-9001 is given twice: each MDF number names one request']);
  });
});
