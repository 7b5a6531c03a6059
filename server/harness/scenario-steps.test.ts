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
 * The scenario steps and expectations added for issue 10, each shown passing where it holds and
 * failing, with the message a user reads, where it does not. One small recipe (fixtures/approvals:
 * a submitted request is confirmed to the partner, then its activity region's approver, a row of the
 * approvers table, is asked by email link with ops in Cc; the decision is set in the PRM) runs them.
 * The approvers table has EMEA only, so an AMER request fails its lookup until ops add the row.
 */
const project = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/approvals');

const partner = { id: 301, name: 'Adatum Partners', type: 'Channel', marketingReady: true, crmId: '0015e00000ADATM301', contactEmail: 'hello@adatum.example', region: 'EMEA' };
const request = (mdfNumber: string, activityName: string, activityRegion = 'EMEA') => ({
  mdfNumber,
  partnerId: 301,
  submittedByEmail: 'marketing@adatum.example',
  activityRegion,
  status: 'Open',
  activityName,
  activityType: 'Event',
  deliveryMode: 'In Person',
  description: 'A one-day customer event.',
  startDate: '2026-04-14',
  endDate: '2026-04-14',
  totalCost: 8000,
  targetContacts: 120,
  estimatedPipeline: 90000,
  partnerInvestment: 4000,
  amountRequested: 4000,
  verticalIndustry: 'Retail',
  segment: 'Enterprise',
});
const seed = {
  prm: { partners: [partner], mdf_requests: [request('MDF-9101', 'Data Days Lisbon'), request('MDF-9102', 'Cloud & AI Forum Porto'), request('MDF-9103', 'Data Days Austin', 'AMER')] },
  salesforce: { PartnerFundRequest: [{ Title: 'MDF-9101: Data Days Lisbon', MDF_Number__c: 'MDF-9101', Status: 'Draft', RequestedAmount: 4000 }] },
};
const submit = (mdfNumber: string) => ({ deliver: { event: 'mdf_request.submitted', mdf_request: mdfNumber } });
const status = (mdfNumber: string, value: string) => ({ system: 'prm', object: 'mdf_request', where: { mdfNumber }, fields: { status: value } });
const NOW = '2026-03-02T09:00:00.000Z';

let context: ScenarioContext;
beforeAll(async () => {
  const defaults = harnessConfig().connectors;
  const connectors = { ...defaults, email: { ...(defaults.email as object), templatesDir: join(project, 'recipes/email-templates') } };
  const tables = loadTables(join(project, 'tables'));
  const recipes = await loadRecipes(join(project, 'recipes'), { catalog: new ConnectorCatalog(CONNECTORS), tables: tables.names(), connectorConfigs: connectors });
  context = { recipes, tables, connectors };
});

/** The failures of a scenario with these steps, line by line; [] when it passes. */
async function failuresOf(steps: unknown[], options: { keepGoing?: boolean } = {}): Promise<string[]> {
  const scenario = Scenario.parse({ name: 'a scenario under test', seed, steps });
  const result = await runScenario(scenario, 'under-test.scenario.json', { ...context, ...options });
  return result.failures.flatMap((failure) => failure.split('\n'));
}

describe('click picks the email by subject or body (two requests waiting on one approver)', () => {
  it('decides the request it names, whichever email came last; addresses in any letter case', async () => {
    expect(
      await failuresOf([
        submit('MDF-9101'),
        submit('MDF-9102'),
        { click: { to: 'Cmm.Emea@Vendor.example', link: 'approve', subject: 'MDF-9101' } },
        { click: { to: 'cmm.emea@vendor.example', link: 'deny', body_contains: 'Cloud & AI Forum Porto' } },
        { expect: { records: [status('MDF-9101', 'Approved'), status('MDF-9102', 'Denied')] } },
      ]),
    ).toEqual([]);
  });

  it('without them, fails when the emails carry links of two waiting approvals, listing their subjects, instead of clicking the newest', async () => {
    expect(await failuresOf([submit('MDF-9101'), submit('MDF-9102'), { click: { to: 'cmm.emea@vendor.example', link: 'approve' } }, { expect: { records: [status('MDF-9101', 'Approved')] } }])).toEqual([
      `step 3 (click) at ${NOW}:`,
      '    click: the emails to cmm.emea@vendor.example carry approval links of 2 waiting approvals, so "the newest email" depends on delivery order:',
      '        - "Approval needed: MDF-9101"',
      '        - "Approval needed: MDF-9102"',
      '      add `subject` or `body_contains` (e.g. the MDF number) to the click to say which one',
    ]);
  });

  it('fails naming the emails the address got when none matches', async () => {
    expect(await failuresOf([submit('MDF-9101'), { click: { to: 'cmm.emea@vendor.example', link: 'approve', subject: 'MDF-9109', body_contains: 'Lisbon' } }])).toEqual([
      `step 2 (click) at ${NOW}:`,
      '    click: no email to cmm.emea@vendor.example with subject containing "MDF-9109" and body containing "Lisbon" has a approve link; the emails to cmm.emea@vendor.example:',
      '        - to cmm.emea@vendor.example (Cc ops@vendor.example): "Approval needed: MDF-9101"',
    ]);
  });
});

describe('expect_page_not_contains', () => {
  it('passes when the page lacks the text, and fails quoting the page when it has it', async () => {
    const click = (notContains: string) => ({ click: { to: 'cmm.emea@vendor.example', link: 'approve', subject: 'MDF-9101', confirm: false, expect_page_not_contains: notContains } });
    expect(await failuresOf([submit('MDF-9101'), click('already decided')])).toEqual([]);
    const failures = await failuresOf([submit('MDF-9101'), click('MDF-9101')]);
    expect(failures[0]).toBe(`step 2 (click) at ${NOW}:`);
    expect(failures[1]).toMatch(/^ {4}the page contains "MDF-9101", which it must not; it says: .*MDF-9101: Data Days Lisbon/);
    expect(failures).toHaveLength(2);
  });
});

describe('a fault on one email message (by recipient or subject)', () => {
  // An expired token is not retried: the message it hits is not sent, and the run fails at its step.
  const fault = (target: Record<string, string>) => ({ fault: { system: 'email', kind: 'expired_token', ...target } });
  const runs = (s: string, count: number) => ({ runs: [{ recipe: 'ask-approver', status: s, count }] });

  it('hits the approval email and not the receipt sent before it', async () => {
    for (const target of [{ to: 'Cmm.Emea@Vendor.example' }, { subject: 'Approval needed' }] as Array<Record<string, string>>) {
      expect(await failuresOf([fault(target), submit('MDF-9101'), { expect: { emails: [{ to: 'marketing@adatum.example' }], no_other_emails: true, ...runs('failed', 1) } }]), JSON.stringify(target)).toEqual([]);
    }
  });

  it('leaves other messages alone: a fault for another address is still waiting', async () => {
    expect(await failuresOf([fault({ to: 'finance@vendor.example' }), submit('MDF-9101'), { expect: { emails: [{ to: 'marketing@adatum.example' }, { to: 'cmm.emea@vendor.example' }], ...runs('waiting', 1) } }])).toEqual([]);
  });

  it('is only for email: the PRM and Salesforce are targeted by path and method', () => {
    const parsed = Scenario.safeParse({ name: 'x', steps: [{ fault: { system: 'prm', kind: 'server_error', to: 'cmm.emea@vendor.example' } }] });
    expect(parsed.error?.issues.map((i) => i.message)).toEqual(['`to` and `subject` pick one email message: they need "system": "email" (use `path` and `method` for the PRM and Salesforce)']);
  });
});

describe('expect.emails: Cc and the HTML part; no_emails_to', () => {
  const approvalEmail = (extra: Record<string, unknown>) => ({ expect: { emails: [{ to: 'marketing@adatum.example' }, { to: 'Cmm.Emea@Vendor.example', ...extra }] } });

  it('pass when the Cc is exactly as listed (any case and order) and the HTML has the text', async () => {
    expect(await failuresOf([submit('MDF-9102'), approvalEmail({ cc: ['OPS@vendor.example'], html_contains: ['Cloud &amp; AI Forum Porto', '<a href="https://partnerflow.scenario.test/approvals/'], html_not_contains: 'Cloud & AI' })])).toEqual([]);
  });

  it('fail naming the Cc the email has', async () => {
    expect(await failuresOf([submit('MDF-9102'), approvalEmail({ cc: [] })])).toEqual([
      `step 2 (expect) at ${NOW}:`,
      '    expected an email to Cmm.Emea@Vendor.example, no Cc',
      '      actual: the email to Cmm.Emea@Vendor.example ("Approval needed: MDF-9102") has Cc ops@vendor.example',
    ]);
  });

  it('fail showing the HTML that lacks a text', async () => {
    const failures = await failuresOf([submit('MDF-9102'), approvalEmail({ html_contains: 'Cloud & AI Forum Porto' })]);
    expect(failures.slice(0, 3)).toEqual([
      `step 2 (expect) at ${NOW}:`,
      '    expected an email to Cmm.Emea@Vendor.example, HTML containing "Cloud & AI Forum Porto"',
      '      actual: the HTML of the email to Cmm.Emea@Vendor.example ("Approval needed: MDF-9102") lacks "Cloud & AI Forum Porto"; its HTML:',
    ]);
    expect(failures).toContain('          <p>please decide on MDF-9102 (Cloud &amp; AI Forum Porto).</p>');
  });

  it('no_emails_to passes for an address that got nothing, and fails for one in To or Cc, in any case', async () => {
    expect(await failuresOf([submit('MDF-9101'), { expect: { no_emails_to: ['director.emea@vendor.example'] } }])).toEqual([]);
    expect(await failuresOf([submit('MDF-9101'), { expect: { no_emails_to: ['Ops@Vendor.example', 'CMM.EMEA@vendor.example'] } }])).toEqual([
      `step 2 (expect) at ${NOW}:`,
      '    expected no email to Ops@Vendor.example, but this was sent:',
      '        - to cmm.emea@vendor.example (Cc ops@vendor.example): "Approval needed: MDF-9101"',
      '    expected no email to CMM.EMEA@vendor.example, but this was sent:',
      '        - to cmm.emea@vendor.example (Cc ops@vendor.example): "Approval needed: MDF-9101"',
    ]);
  });
});

describe('ops steps: change_table and retry', () => {
  const amerRow = { region: 'AMER', approver_email: 'cmm.amer@vendor.example', approver_name: 'Avery Brooks', manager_email: 'director@vendor.example', manager_name: 'Morgan Lee' };

  it('a run failed at an unknown region completes its ask once ops add the row and retry it', async () => {
    expect(
      await failuresOf([
        submit('MDF-9103'),
        { expect: { emails: [{ to: 'marketing@adatum.example' }], no_other_emails: true, runs: [{ recipe: 'ask-approver', status: 'failed', count: 1 }] } },
        { change_table: { table: 'approvers', add: [amerRow] } },
        { retry: { recipe: 'ask-approver' } },
        { expect: { emails: [{ to: 'cmm.amer@vendor.example', subject: 'MDF-9103' }], no_other_emails: true, runs: [{ recipe: 'ask-approver', status: 'waiting', count: 1 }] } },
      ]),
    ).toEqual([]);
  });

  it('change_table set and remove change the rows later lookups read', async () => {
    expect(
      await failuresOf([
        { change_table: { table: 'approvers', where: { region: 'EMEA' }, set: { approver_email: 'cmm.emea.new@vendor.example' } } },
        submit('MDF-9101'),
        { change_table: { table: 'approvers', where: { region: 'EMEA' }, remove: true } },
        submit('MDF-9102'),
        { expect: { emails: [{ to: 'cmm.emea.new@vendor.example', subject: 'MDF-9101' }], no_emails_to: ['cmm.emea@vendor.example'], runs: [{ recipe: 'ask-approver', status: 'failed', count: 1 }] } },
      ]),
    ).toEqual([]);
  });

  it('change_table fails on an unknown table, a where that matches no row, and a row the table refuses', async () => {
    expect(
      await failuresOf(
        [
          { change_table: { table: 'approver', add: [amerRow] } },
          { change_table: { table: 'approvers', where: { region: 'APAC' }, remove: true } },
          { change_table: { table: 'approvers', add: [{ ...amerRow, approver_email: 'not an address' }] } },
        ],
        { keepGoing: true },
      ),
    ).toEqual([
      `step 1 (change_table) at ${NOW}:`,
      '    change_table: there is no table "approver" (did you mean "approvers"?); the tables: approvers',
      `step 2 (change_table) at ${NOW}:`,
      '    change_table: no row of approvers has {"region":"APAC"} (1 rows)',
      `step 3 (change_table) at ${NOW}:`,
      expect.stringMatching(/^ {4}change_table\/approvers: rows\[1\]\.approver_email: /),
    ]);
  });

  it('retry fails when no run of the recipe failed, or several did without a key', async () => {
    expect(await failuresOf([submit('MDF-9101'), { retry: { recipe: 'ask-approver' } }])).toEqual([
      `step 2 (retry) at ${NOW}:`,
      '    retry: no failed run of ask-approver; its runs: waiting (MDF-9101)',
    ]);
    const twoFailed = [
      { change_table: { table: 'approvers', where: { region: 'EMEA' }, remove: true } },
      submit('MDF-9101'),
      submit('MDF-9102'),
    ];
    expect(await failuresOf([...twoFailed, { retry: { recipe: 'ask-approver' } }])).toEqual([
      `step 4 (retry) at ${NOW}:`,
      '    retry: 2 runs of ask-approver failed (MDF-9101, MDF-9102): give `key` to say which',
    ]);
    expect(
      await failuresOf([
        ...twoFailed,
        { change_table: { table: 'approvers', add: [{ ...amerRow, region: 'EMEA' }] } },
        { retry: { recipe: 'ask-approver', key: 'MDF-9102' } },
        // Only the run with that key was retried: MDF-9101's is still failed, and no approver was asked about it.
        { expect: { emails: [{ to: 'marketing@adatum.example', subject: 'MDF-9101' }, { to: 'marketing@adatum.example', subject: 'MDF-9102' }, { to: 'cmm.amer@vendor.example', subject: 'MDF-9102' }], no_other_emails: true, runs: [{ recipe: 'ask-approver', status: 'failed', count: 1 }] } },
      ]),
    ).toEqual([]);
  });
});

describe('ops steps: change_salesforce', () => {
  it('changes the record as ops would in Salesforce', async () => {
    const where = { MDF_Number__c: 'MDF-9101' };
    expect(
      await failuresOf([
        { change_salesforce: { object: 'PartnerFundRequest', where, set: { Status: 'Approved', Amount: 4000 } } },
        { expect: { records: [{ system: 'salesforce', object: 'PartnerFundRequest', where, fields: { Status: 'Approved', Amount: 4000, Title: 'MDF-9101: Data Days Lisbon' }, count: 1 }] } },
      ]),
    ).toEqual([]);
  });

  it('fails on an unknown object, no record matching, and a change the org refuses', async () => {
    const failures = await failuresOf(
      [
        { change_salesforce: { object: 'PartnerFundRequests', where: { MDF_Number__c: 'MDF-9101' }, set: { Status: 'Approved' } } },
        { change_salesforce: { object: 'PartnerFundRequest', where: { MDF_Number__c: 'MDF-9109' }, set: { Status: 'Approved' } } },
        { change_salesforce: { object: 'PartnerFundRequest', where: { MDF_Number__c: 'MDF-9101' }, set: { Status: 'Paid' } } },
      ],
      { keepGoing: true },
    );
    expect(failures).toEqual([
      `step 1 (change_salesforce) at ${NOW}:`,
      expect.stringMatching(/^ {4}change_salesforce: the simulated Salesforce has no object "PartnerFundRequests" \(did you mean "PartnerFundRequest"\?\); it has: .*PartnerFundRequest/),
      `step 2 (change_salesforce) at ${NOW}:`,
      '    change_salesforce: no PartnerFundRequest record has {"MDF_Number__c":"MDF-9109"} (1 PartnerFundRequest records in all)',
      `step 3 (change_salesforce) at ${NOW}:`,
      expect.stringMatching(/^ {4}change_salesforce: Salesforce refused the change of PartnerFundRequest 0Hf\w+: INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: .*Paid/),
    ]);
  });
});

describe('ops steps: change_partner', () => {
  it("changes a partner account as ops would in the PRM, and deletes one", async () => {
    expect(
      await failuresOf([
        { change_partner: { id: 301, set: { contactEmail: 'partners@adatum.example' } } },
        { expect: { records: [{ system: 'prm', object: 'partner', where: { id: 301 }, fields: { contactEmail: 'partners@adatum.example', name: 'Adatum Partners' }, count: 1 }] } },
        { change_partner: { id: 301, delete: true } },
        { expect: { records: [{ system: 'prm', object: 'partner', where: { id: 301 }, count: 0 }] } },
      ]),
    ).toEqual([]);
  });

  it('fails on an account the PRM does not have, naming the ones it has, and on a step that says neither set nor delete', async () => {
    expect(await failuresOf([{ change_partner: { id: 302, delete: true } }, { change_partner: { id: 303, set: { name: 'X' } } }], { keepGoing: true })).toEqual([
      `step 1 (change_partner) at ${NOW}:`,
      '    change_partner: the simulated PRM has no partner account 302 (its accounts: 301)',
      `step 2 (change_partner) at ${NOW}:`,
      '    change_partner: the simulated PRM has no partner account 303 (its accounts: 301)',
    ]);
    expect(Scenario.safeParse({ name: 'n', steps: [{ change_partner: { id: 301 } }] }).error?.issues.map((i) => i.message)).toContain('give `set` or `"delete": true` (one of them)');
  });
});

describe('keepGoing: every failing step of a scenario at once', () => {
  const steps = [submit('MDF-9101'), { expect: { emails: [{ to: 'finance@vendor.example' }] } }, { expect: { records: [status('MDF-9101', 'Denied')] } }];

  it('reports each failing step, where by default the first one ends the scenario', async () => {
    const first = [`step 2 (expect) at ${NOW}:`, '    expected an email to finance@vendor.example', expect.stringContaining('actual: emails sent since the previous expect:'), expect.any(String), expect.any(String)];
    expect(await failuresOf(steps)).toEqual(first);
    expect(await failuresOf(steps, { keepGoing: true })).toEqual([...first, `step 3 (expect) at ${NOW}:`, '    prm mdf_request where {"mdfNumber":"MDF-9101"}: status expected "Denied", actual "Open"']);
  });
});

describe('claim steps refuse what the simulated PRM API refuses (D15, D17)', () => {
  it('submit_claim with a paid date not YYYY-MM-DD and change_claim with a Missing POP outside the picklist fail naming the field', async () => {
    const claim = { mdfNumber: 'MDF-9101', title: 'Bad date', amount: 100, paidDate: '02/04/2026', actualCosts: 400 };
    expect(await failuresOf([{ submit_claim: { claim } }])).toEqual([
      `step 1 (submit_claim) at ${NOW}:`,
      '    submit_claim: the PRM refuses paidDate: PaidDate takes a date (YYYY-MM-DD), got "02/04/2026"',
    ]);
    const failures = await failuresOf([{ submit_claim: { claim: { ...claim, paidDate: '2026-04-02' } } }, { change_claim: { title: 'Bad date', set: { missingPop: 'Receipt' }, event: '' } }]);
    expect(failures).toEqual([`step 2 (change_claim) at ${NOW}:`, '    change_claim: the PRM refuses missingPop: "Receipt" is not a valid value for MissingPop; allowed: POP, Lead List, Invoice, Other']);
  });
});

describe('Marketo duplicates: merge_marketo_leads and expect.marketo_changes', () => {
  const twins = { marketo: { leads: [{ id: 1001, email: 'TWIN@client.example', phone: '+1 555 0188' }, { id: 1002, email: 'twin@client.example', leadStatus: 'Open' }] } };
  const failuresWith = async (steps: unknown[]) => (await runScenario(Scenario.parse({ name: 'duplicates', seed: twins, steps }), 'duplicates.scenario.json', { ...context, keepGoing: true })).failures;

  it('merges the leads of an email into `into`: one lead remains, with the values the merge fills in, and the changes count on it', async () => {
    expect(
      await failuresWith([
        { merge_marketo_leads: { email: 'twin@client.example', into: 1002 } },
        {
          expect: {
            records: [{ system: 'marketo', object: 'lead', where: { email: 'twin@client.example' }, count: 1, fields: { id: 1002, phone: '+1 555 0188', leadStatus: 'Open' } }],
            marketo_changes: [{ email: 'twin@client.example', field: 'phone', count: 1 }, { email: 'twin@client.example', field: 'leadStatus', count: 0 }],
          },
        },
      ]),
    ).toEqual([]);
  });

  it('fails naming the leads when there is nothing to merge or `into` is not one of them, and a change count that does not hold', async () => {
    const failures = await failuresWith([
      { merge_marketo_leads: { email: 'twin@client.example', into: 7 } },
      { merge_marketo_leads: { email: 'nobody@client.example' } },
      { expect: { marketo_changes: [{ email: 'twin@client.example', field: 'phone', count: 1 }, { email: 'twin@client.example', field: 'phnoe', count: 0 }] } },
    ]);
    expect(failures.join('\n')).toContain('merge_marketo_leads: lead 7 has not the email twin@client.example; its leads: 1001, 1002');
    expect(failures.join('\n')).toContain('merge_marketo_leads: the simulated Marketo has no lead with email nobody@client.example: nothing to merge');
    expect(failures.join('\n')).toContain('expected 1 change(s) of phone on the Marketo lead of twin@client.example, found 0');
    expect(failures.join('\n')).toContain('marketo_changes: the simulated Marketo has no lead field phnoe');
  });
});

describe('a fault `for` a while: an outage that ends', () => {
  it('fails every matching request while it lasts (the receipt gives up), then requests pass again (its retry sends it)', async () => {
    const failures = await failuresOf([
      { fault: { system: 'email', kind: 'server_error', for: 'PT10M' } },
      submit('MDF-9101'),
      { advance: 'PT5M' },
      { expect: { runs: [{ recipe: 'ask-approver', status: 'failed', count: 1 }], no_other_emails: true } },
      { advance: 'PT5M' },
      { retry: { recipe: 'ask-approver' } },
      { expect: { emails: [{ to: 'marketing@adatum.example' }] } },
    ]);
    expect(failures).toEqual([]);
  });
});
