import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readScenario } from './scenario-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'partnerflow-scenarios-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KINDS = 'a step is one of: deliver, click, update, change_partner, submit_claim, change_claim, fault, retry, change_table, change_salesforce, import_leads, work_lead, merge_marketo_leads, expect, advance, set_clock';

/** The problems `partnerflow test` prints for a scenario file with these steps. */
function problemsWith(steps: unknown[]): string[] {
  const file = join(dir, 'under-test.scenario.json');
  writeFileSync(file, JSON.stringify({ name: 'a scenario under test', steps }));
  return readScenario(file).problems.map((line) => line.slice(file.length + 2));
}

describe('an invalid scenario step says what is wrong with it', () => {
  it('a misspelt field of the step kind it has, rather than "Invalid input"', () => {
    expect(problemsWith([{ deliver: { evnt: 'mdf_request.submitted' } }])).toEqual(['steps[0].deliver.event: missing (expected string)', 'steps[0].deliver: unknown key "evnt" (did you mean "event"?)']);
    expect(problemsWith([{ click: { to: 'cmm@vendor.example', link: 'approved' } }])).toEqual(['steps[0].click.link: Invalid option: expected one of "approve"|"deny"']);
    expect(problemsWith([{ expect: { emails: [{ to: 'cmm@vendor.example', body_contains: 3 }] } }])).toEqual([
      'steps[0].expect.emails[0].body_contains: Invalid input: expected a string or an array',
    ]);
  });

  it('a message fault outside email, and a change_table that says neither what to add nor what to do with its rows', () => {
    expect(
      problemsWith([
        { fault: { system: 'prm', kind: 'server_error', to: 'cmm.emea@vendor.example' } },
        { change_table: { table: 'leave', where: { approver_email: 'cmm.emea@vendor.example' } } },
        { change_table: { table: 'leave' } },
      ]),
    ).toEqual([
      'steps[0].fault.to: `to` and `subject` pick one email message: they need "system": "email" (use `path` and `method` for the PRM and Salesforce)',
      'steps[1].change_table.where: `where` needs `set` or `"remove": true` (one of them)',
      'steps[2].change_table: give `add`, or `where` with `set` or `remove`',
    ]);
  });

  it('a misspelt key anywhere in the file, with the closest key the format has there (review 8, F8)', () => {
    const file = join(dir, 'misspelt-keys.scenario.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'misspelt keys',
        stesp: [],
        steps: [{ expect: { runz: [], runs: [{ recipe: 'request-notice', status: 'completed', cuont: 1 }] } }, { advance: 'P1D', untill: 'x' }],
      }),
    );
    expect(readScenario(file, 'misspelt-keys.scenario.json').problems).toEqual([
      'misspelt-keys.scenario.json: steps[0].expect.runs[0]: unknown key "cuont" (did you mean "count"?)',
      'misspelt-keys.scenario.json: steps[0].expect: unknown key "runz" (did you mean "runs"?)',
      'misspelt-keys.scenario.json: steps[1]: unknown key "untill"; the keys here are: advance',
      'misspelt-keys.scenario.json: (root): unknown key "stesp" (did you mean "steps"?)',
    ]);
  });

  it('a clock or set_clock that is no ISO time with a zone says the form, quoting the value (review10)', () => {
    const file = join(dir, 'clock-form.scenario.json');
    writeFileSync(file, JSON.stringify({ name: 'clock forms', clock: '2026-03-02 09:00', steps: [{ set_clock: '2026-03-05T09:00:00' }] }));
    expect(readScenario(file, 'clock-form.scenario.json').problems).toEqual([
      'clock-form.scenario.json: clock: an ISO 8601 time with its zone, e.g. 2026-03-06T10:00:00Z or 2026-03-06T11:00:00+01:00; got "2026-03-02 09:00"',
      'clock-form.scenario.json: steps[0].set_clock: an ISO 8601 time with its zone, e.g. 2026-03-06T10:00:00Z or 2026-03-06T11:00:00+01:00; got "2026-03-05T09:00:00"',
    ]);
  });

  it('a number written in quotes says to write it without them (review10)', () => {
    const file = join(dir, 'quoted-number.scenario.json');
    writeFileSync(file, JSON.stringify({ name: 'quoted number', steps: [{ fault: { system: 'prm', kind: 'rate_limit', times: '2' } }] }));
    expect(readScenario(file, 'quoted-number.scenario.json').problems).toEqual(['quoted-number.scenario.json: steps[0].fault.times: a number, written without quotes: 2, not "2"']);
  });

  it('a seed table row that is not an object says what a row is (review10)', () => {
    const file = join(dir, 'row-list.scenario.json');
    writeFileSync(file, JSON.stringify({ name: 'row as a list', seed: { tables: { leave: [['cmm.emea@vendor.example', '2026-03-02', '2026-03-06']] } }, steps: [{ advance: 'P1D' }] }));
    expect(readScenario(file, 'row-list.scenario.json').problems).toEqual([
      'row-list.scenario.json: seed.tables.leave[0]: a row is an object of columns and their values, e.g. { "region": "EMEA", "approver_email": "cmm.emea@vendor.example" }',
    ]);
  });

  it('a runs expectation without status says what to write, naming the entry and its recipe; status stays required', () => {
    expect(problemsWith([{ advance: 'P1D' }, { expect: { runs: [{ recipe: 'request-notice', status: 'completed' }, { recipe: 'request-notice', count: 1 }] } }])).toEqual([
      'steps[1].expect.runs[1].status: missing: say which status the runs of request-notice must have now: add "status": "completed" (or queued, running, waiting, failed, canceled)',
    ]);
    // A status that is no status is still answered with the statuses there are.
    expect(problemsWith([{ expect: { runs: [{ recipe: 'request-notice', status: 'done' }] } }])).toEqual([
      'steps[0].expect.runs[0].status: Invalid option: expected one of "queued"|"running"|"waiting"|"completed"|"failed"|"canceled"',
    ]);
  });

  it('an unknown step kind, with the closest kind and the list of kinds', () => {
    expect(problemsWith([{ advance: 'P1D' }, { advnce: 'P1D' }, { wait: 'P1D' }])).toEqual([
      `steps[1]: unknown step "advnce" (did you mean "advance"?); ${KINDS}`,
      `steps[2]: unknown step "wait"; ${KINDS}`,
    ]);
  });

  it('a step with two kinds, an empty step, and a step that is not an object', () => {
    expect(problemsWith([{ advance: 'P1D', expect: {} }, {}, 'advance'])).toEqual([
      'steps[0]: a step does one thing, this one has "advance" and "expect": split it into one step each',
      `steps[1]: an empty step; ${KINDS}`,
      `steps[2]: expected an object such as { "advance": "P1D" } (${KINDS}), got "advance"`,
    ]);
  });
});

describe('the README', () => {
  it('documents every field of the scenario format', () => {
    const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Testing recipes: scenarios'), readme.indexOf('\n## ', readme.indexOf('## Testing recipes: scenarios') + 1));
    const documented = new Set([...section.matchAll(/`([^`]+)`/g)].flatMap((m) => m[1]!.split(/[^\w$]+/)));
    const schema = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../schemas/json/scenario.schema.json'), 'utf8')) as unknown;
    const fields = new Set<string>();
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(visit);
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'properties') Object.keys(value as object).forEach((name) => fields.add(name));
          visit(value);
        }
      }
    };
    visit(schema);
    expect([...fields].filter((field) => !documented.has(field))).toEqual([]);
  });
});
