import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.ts';
import { ConnectorCatalog } from '../engine/connector-registry.ts';
import { fakeCatalog } from './fixtures/fake-connectors.ts';
import { formatProblem } from './recipe-problem.ts';
import { validateRecipe } from './validate-recipe.ts';

const FILE = 'recipes/under-test.recipe.json';
const catalog = new ConnectorCatalog(CONNECTORS);

/** The lines `partnerflow validate` prints for the recipe. */
const problems = (data: unknown, on = catalog) => validateRecipe(data, FILE, { catalog: on, tables: [] }).problems.map(formatProblem);

const stop = [{ id: 'done', type: 'stop' }];

function webhook(trigger: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown {
  return { name: 'under-test', version: 1, description: 'a recipe under test', trigger: { type: 'webhook', event: 'prm.mdf_request.submitted', ...trigger }, steps: stop, ...extra };
}

function poll(trigger: Record<string, unknown>): unknown {
  return {
    name: 'under-test',
    version: 1,
    description: 'a recipe under test',
    trigger: {
      type: 'poll',
      action: 'salesforce.list_changed_fund_records',
      input: { object: 'PartnerFundRequest' },
      every: 'PT5M',
      cursor: '{% data.last_modified %}',
      dedup_key: "{% 'sf-edit:' & data.id & '@' & data.last_modified %}",
      ...trigger,
    },
    steps: stop,
  };
}

describe('validate: the fields a trigger expression reads from the event (data.<field>)', () => {
  it('names a dedup_key field typo behind a prefix (the key would be the same for every event), with the field meant', () => {
    // review8 F2: every later MDF request was joined to the first run, with no error anywhere.
    expect(problems(webhook({ dedup_key: "{% 'new-request:' & data.mdfNumbr %}" }))).toEqual([
      `${FILE}: trigger.dedup_key: reads data.mdfNumbr, but the data of prm.mdf_request.submitted has no field "mdfNumbr" (did you mean "mdfNumber"?); it is undefined for every event`,
    ]);
  });

  it('checks the filter, the concurrency_key and cancel_on against their events, whichever way the data is read', () => {
    const data = webhook(
      { filter: "{% $trigger.data.statsu = 'Open' %}", concurrency_key: '{% $data.mdfNumbr %}' },
      { cancel_on: { event: 'prm.mdf_request.status_changed', filter: "{% $.data.Status != 'Open' %}", reason: "{% 'now ' & data.status %}" } },
    );
    expect(problems(data)).toEqual([
      `${FILE}: trigger.filter: reads data.statsu, but the data of prm.mdf_request.submitted has no field "statsu" (did you mean "status"?); it is undefined for every event`,
      `${FILE}: trigger.concurrency_key: reads data.mdfNumbr, but the data of prm.mdf_request.submitted has no field "mdfNumbr" (did you mean "mdfNumber"?); it is undefined for every event`,
      `${FILE}: cancel_on.filter: reads data.Status, but the data of prm.mdf_request.status_changed has no field "Status" (did you mean "status"?); it is undefined for every event`,
    ]);
  });

  it("lets through a field the PRM's record does not list but may carry (an instance's custom __cf fields, other fields the PRM keeps)", () => {
    // A short name one edit from a listed one is no sure slip either (`ip`, `id`).
    expect(problems(webhook({ filter: '{% data.budgetOwner__cf and data.campaignId and data.ip %}', dedup_key: "{% 'new-request:' & data.mdfNumber & '@' & data.updated %}" }))).toEqual([]);
  });

  it('does not read a name inside a filter or a lambda of another context as a field of the event', () => {
    expect(problems(webhook({ filter: "{% $count(data.lines[data.mdfNumbr = 'x']) = 0 and $map([1], function($v) { $v.data.whatever }) %}" }))).toEqual([]);
    // A variable the expression binds itself is its own.
    expect(problems(webhook({ filter: '{% ($data := {"x": 1}; $data.mdfNumbr = 1) %}' }))).toEqual([]);
  });

  it("refuses any field an event's data cannot hold when its schema keeps only the fields it lists, naming them when none is close", () => {
    const data = { name: 'under-test', version: 1, description: 'x', trigger: { type: 'webhook', event: 'crm.account.changed', dedup_key: "{% 'acct:' & data.owner %}" }, steps: stop };
    expect(problems(data, fakeCatalog())).toEqual([
      `${FILE}: trigger.dedup_key: reads data.owner, but the data of crm.account.changed has no field "owner" (its fields: id, status); it is undefined for every event`,
    ]);
  });

  it("checks a poll trigger's cursor and dedup_key against the poll action's item", () => {
    // review8 F6 (cursor) and F2 (dedup_key `data.ID`): the poll failed, or every later edit was dropped.
    expect(problems(poll({ cursor: '{% data.lastModified %}', dedup_key: "{% 'sf-edit-alert:' & data.ID %}" }))).toEqual([
      `${FILE}: trigger.cursor: reads data.lastModified, but the items of salesforce.list_changed_fund_records have no field "lastModified" (did you mean "last_modified"?); it is undefined for every item`,
      `${FILE}: trigger.dedup_key: reads data.ID, but the items of salesforce.list_changed_fund_records have no field "ID" (did you mean "id"?); it is undefined for every item`,
    ]);
    expect(problems(poll({}))).toEqual([]);
  });

  it("checks a timer trigger's expressions against its record events, and stop_on's against its own event", () => {
    const timer = {
      name: 'under-test',
      version: 1,
      description: 'x',
      trigger: {
        type: 'timer',
        record: ['prm.mdf_request.changed', 'prm.mdf_request.status_changed'],
        key: '{% data.mdfNumber %}',
        date: '{% data.endDat %}',
        offsets: [2],
        stop_on: [{ event: 'prm.mdf_claim.submitted', by: '{% data.mdfNumbr %}' }],
      },
      steps: stop,
    };
    expect(problems(timer)).toEqual([
      `${FILE}: trigger.date: reads data.endDat, but the data of prm.mdf_request.changed and prm.mdf_request.status_changed has no field "endDat" (did you mean "endDate"?); it is undefined for every event`,
      `${FILE}: trigger.stop_on[0].by: reads data.mdfNumbr, but the data of prm.mdf_claim.submitted has no field "mdfNumbr" (did you mean "mdfNumber"?); it is undefined for every event`,
    ]);
  });
});

describe("validate: the fields expressions read of an action step's result ($steps.<id>.<field>)", () => {
  const withSteps = (steps: unknown[]) => webhook({ dedup_key: '{% data.mdfNumber %}' }, { steps });
  const request = { id: 'request', type: 'action', action: 'prm.get_mdf_request', input: { mdf_number: '{% $trigger.data.mdfNumber %}' } };

  it('names a plain slip of a field the action output lists, even where the output keeps others (review8 F1: activityRegoin)', () => {
    expect(problems(withSteps([request, { id: 'pick', type: 'set', values: { region: '{% $steps.request.activityRegoin %}', custom: '{% $steps.request.budgetOwner__cf %}' } }]))).toEqual([
      `${FILE}: steps[1].values.region: reads steps.request.activityRegoin, but the output of prm.get_mdf_request has no field "activityRegoin" (did you mean "activityRegion"?); it is undefined in every run`,
    ]);
  });

  it("refuses any field a closed output does not list, and lets a handled failure's error through", () => {
    const send = { id: 'tell', type: 'action', action: 'crm.send', input: { to: ['a@example.com'], template: 't' }, on_error: 'continue' };
    const data = { name: 'under-test', version: 1, description: 'x', trigger: { type: 'webhook', event: 'crm.account.changed' }, steps: [send, { id: 'after', type: 'set', values: { a: '{% $steps.tell.error.message %}', b: '{% $steps.tell.messageId %}' } }] };
    expect(problems(data, fakeCatalog())).toEqual([
      `${FILE}: steps[1].values.b: reads steps.tell.messageId, but the output of crm.send has no field "messageId" (its fields: id, error); it is undefined in every run`,
    ]);
  });
});

describe("validate: the fields the steps read of the trigger's data (trigger.data.<field>)", () => {
  it('names a slip of an event field in a step input, a condition and on_error, however the trigger is read', () => {
    const data = webhook(
      {},
      {
        steps: [
          { id: 'request', type: 'action', action: 'prm.get_mdf_request', input: { mdf_number: '{% trigger.data.mdfNumbr %}' } },
          { id: 'open', type: 'if', condition: "{% $trigger.data.Status = 'Open' %}", then: [{ id: 'note', type: 'set', values: { n: '{% $$.trigger.data.mdfNumber & $.trigger.data.partnerIdd %}' } }] },
        ],
        on_error: { steps: [{ id: 'ops', type: 'set', values: { key: '{% trigger.data.mdfNumer %}', custom: '{% trigger.data.budgetOwner__cf %}' } }] },
      },
    );
    expect(problems(data)).toEqual([
      `${FILE}: steps[0].input.mdf_number: reads trigger.data.mdfNumbr, but the data of prm.mdf_request.submitted has no field "mdfNumbr" (did you mean "mdfNumber"?); it is undefined in every run`,
      `${FILE}: steps[1].condition: reads trigger.data.Status, but the data of prm.mdf_request.submitted has no field "Status" (did you mean "status"?); it is undefined in every run`,
      `${FILE}: steps[1].then[0].values.n: reads trigger.data.partnerIdd, but the data of prm.mdf_request.submitted has no field "partnerIdd" (did you mean "partnerId"?); it is undefined in every run`,
      `${FILE}: on_error.steps[0].values.key: reads trigger.data.mdfNumer, but the data of prm.mdf_request.submitted has no field "mdfNumer" (did you mean "mdfNumber"?); it is undefined in every run`,
    ]);
  });

  it("checks a poll recipe's steps against the action's item, a timer's and a schedule's against what they give their runs; a run trigger's data is not checked", () => {
    const apply = { id: 'apply', type: 'set', values: { key: '{% trigger.data.ID %}' } };
    expect(problems({ ...(poll({}) as object), steps: [apply] })).toEqual([
      `${FILE}: steps[0].values.key: reads trigger.data.ID, but the items of salesforce.list_changed_fund_records have no field "ID" (did you mean "id"?); it is undefined in every run`,
    ]);
    const timer = {
      name: 'under-test',
      version: 1,
      description: 'x',
      trigger: { type: 'timer', record: 'prm.mdf_request.changed', key: '{% data.mdfNumber %}', date: '{% data.endDate %}', offsets: [2] },
      steps: [{ id: 'remind', type: 'set', values: { n: '{% trigger.data.record.mdfNumber %}', when: '{% trigger.data.dueAt %}' } }],
    };
    expect(problems(timer)).toEqual([
      `${FILE}: steps[0].values.when: reads trigger.data.dueAt, but a timer run's trigger data has no field "dueAt" (did you mean "due_at"?); it is undefined in every run`,
    ]);
    const schedule = { name: 'under-test', version: 1, description: 'x', trigger: { type: 'schedule', cron: '0 8 * * 1-5' }, steps: [{ id: 'window', type: 'set', values: { from: '{% trigger.data.previous_scheduled %}' } }] };
    expect(problems(schedule)).toEqual([
      `${FILE}: steps[0].values.from: reads trigger.data.previous_scheduled, but a schedule run's trigger data has no field "previous_scheduled" (did you mean "previous_scheduled_at"?); it is undefined in every run`,
    ]);
    const started = { name: 'under-test', version: 1, description: 'x', trigger: { type: 'run' }, steps: [{ id: 'any', type: 'set', values: { x: '{% trigger.data.whatever %}' } }] };
    expect(problems(started)).toEqual([]);
  });
});

describe("validate: the columns expressions read of a lookup's row ($steps.<id>.<column>)", () => {
  const rows = [
    { region: 'EMEA', emails: ['finance.emea@vendor.example'], team: 'EMEA finance' },
    { region: 'APAC', emails: ['finance.apac@vendor.example'], team: 'APAC finance', note: 'from Q3' },
  ];
  const withRows = (data: unknown, tableRows: unknown[]) =>
    validateRecipe(data, FILE, { catalog, tables: ['finance-watchers'], tableRows: { rows: (name: string) => (name === 'finance-watchers' ? (tableRows as never) : undefined) } }).problems.map(formatProblem);
  const lookupThen = (read: string, mode?: 'all') =>
    webhook(
      { dedup_key: '{% data.mdfNumber %}' },
      {
        steps: [
          { id: 'watchers', type: 'lookup', table: 'finance-watchers', where: { region: 'EMEA' }, required: true, ...(mode && { mode }) },
          { id: 'use', type: 'set', values: { v: `{% ${read} %}` } },
        ],
      },
    );

  it('names a column no row of the table has, with the column meant, for mode first and mode all; a column only some rows have is a column', () => {
    expect(withRows(lookupThen('$steps.watchers.emials'), rows)).toEqual([
      `${FILE}: steps[1].values.v: reads steps.watchers.emials, but table finance-watchers has no column "emials" (did you mean "emails"?); it is undefined in every run`,
    ]);
    expect(withRows(lookupThen('$steps.watchers.owner', 'all'), rows)).toEqual([
      `${FILE}: steps[1].values.v: reads steps.watchers.owner, but table finance-watchers has no column "owner" (its columns: region, emails, team, note); it is undefined in every run`,
    ]);
    expect(withRows(lookupThen('$steps.watchers.note & $steps.watchers.team'), rows)).toEqual([]);
  });

  it('says nothing of a table without rows', () => {
    expect(withRows(lookupThen('$steps.watchers.anything'), [])).toEqual([]);
  });
});
