import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.ts';
import { ConnectorCatalog } from '../engine/connector-registry.ts';
import { formatProblem } from './recipe-problem.ts';
import { validateRecipe } from './validate-recipe.ts';

const FILE = 'recipes/mdf-claims/reminder.recipe.json';
const catalog = new ConnectorCatalog(CONNECTORS);

function reminder(trigger: Record<string, unknown> = {}): unknown {
  return {
    name: 'reminder',
    version: 1,
    description: 'D14 reminder under test',
    trigger: {
      type: 'timer',
      record: ['prm.mdf_request.changed', 'prm.mdf_request.status_changed'],
      key: '{% data.mdfNumber %}',
      date: '{% data.endDate %}',
      while: "{% data.status = 'Approved' %}",
      offsets: { table: 'claim-reminders', column: 'days_after_end' },
      stop_on: [{ event: 'prm.mdf_claim.submitted' }],
      ...trigger,
    },
    steps: [{ id: 'done', type: 'stop' }],
  };
}

/** The lines `partnerflow validate` prints for the recipe. */
const problems = (data: unknown, tables = ['claim-reminders']) => validateRecipe(data, FILE, { catalog, tables }).problems.map(formatProblem);

describe('validate: timer triggers (D14)', () => {
  it('accepts a timer recipe on record events, with table offsets and stop_on, and fills in the defaults', () => {
    const result = validateRecipe(reminder(), FILE, { catalog, tables: ['claim-reminders'] });
    expect(result.problems).toEqual([]);
    expect(result.definition?.trigger).toMatchObject({ at: '09:00', on_non_business_day: 'next_business_day' });
    expect(problems(reminder({ offsets: [2, 'P2W', { business_days: 3 }], record: 'prm.mdf_request.changed' }))).toEqual([]);
  });

  it('refuses an unknown record event and an unknown stop_on event, naming their JSON paths', () => {
    expect(problems(reminder({ record: ['prm.mdf_request.changed', 'prm.mdf_request.chaged'], stop_on: [{ event: 'prm.mdf_claim.sent' }] }))).toEqual([
      expect.stringMatching(/^recipes\/mdf-claims\/reminder\.recipe\.json: trigger\.record\[1\]: unknown event "prm\.mdf_request\.chaged"/),
      expect.stringMatching(/^recipes\/mdf-claims\/reminder\.recipe\.json: trigger\.stop_on\[0\]\.event: unknown event "prm\.mdf_claim\.sent"/),
    ]);
  });

  it('refuses a stop_on lifted_when without by: there is no record whose stops it could lift', () => {
    expect(problems(reminder({ stop_on: [{ event: 'prm.mdf_claim.changed', by: '{% data.id %}', lifted_when: "{% data.status = 'Denied' %}" }] }))).toEqual([]);
    expect(problems(reminder({ stop_on: [{ event: 'prm.mdf_claim.changed', lifted_when: "{% data.status = 'Denied' %}" }] }))).toEqual([
      expect.stringMatching(/trigger\.stop_on\[0\]\.lifted_when: lifted_when needs by/),
    ]);
  });

  it('refuses a stop_on as_of without by: it orders the events of the record that by names', () => {
    expect(problems(reminder({ stop_on: [{ event: 'prm.mdf_claim.changed', by: '{% data.id %}', as_of: '{% data.updated %}' }] }))).toEqual([]);
    expect(problems(reminder({ stop_on: [{ event: 'prm.mdf_claim.changed', as_of: '{% data.updated %}' }] }))).toEqual([
      expect.stringMatching(/trigger\.stop_on\[0\]\.as_of: as_of needs by/),
    ]);
  });

  it('refuses an offsets table that does not exist, and a column the table does not have', () => {
    expect(problems(reminder(), [])).toEqual([`${FILE}: trigger.offsets.table: unknown table "claim-reminders"; there are no tables`]);
    expect(problems(reminder({ offsets: { table: 'claim-reminders', column: 'days_after_start' } }))).toEqual([
      `${FILE}: trigger.offsets.column: table claim-reminders has no column "days_after_start"; columns: days_after_end, note`,
    ]);
  });

  it('refuses offsets that are not whole days, and a time of day that is not HH:MM', () => {
    const lines = problems(reminder({ offsets: [0, 'PT4H'], at: '9am' }));
    expect(lines.some((l) => l.includes('trigger.offsets'))).toBe(true);
    expect(lines.some((l) => l.includes('trigger.at') && l.includes('HH:MM'))).toBe(true);
  });

  it('catch_up: accepts a window and a wait (wait defaults to PT0S); refuses a window that does not end after `at`, and a wait that is not a duration, naming the path', () => {
    const result = validateRecipe(reminder({ catch_up: { until: '17:00' } }), FILE, { catalog, tables: ['claim-reminders'] });
    expect(result.problems).toEqual([]);
    expect(result.definition?.trigger).toMatchObject({ catch_up: { until: '17:00', wait: 'PT0S' } });
    expect(problems(reminder({ at: '09:00', catch_up: { until: '08:30', wait: 'PT10M' } }))).toEqual([
      `${FILE}: trigger.catch_up.until: catch_up.until must be later in the day than \`at\` (the window of a late timer starts at \`at\`)`,
    ]);
    const lines = problems(reminder({ catch_up: { until: '17:00', wait: '10 minutes' } }));
    expect(lines.some((l) => l.includes('trigger.catch_up.wait'))).toBe(true);
  });

  it('refuses an offset given twice, also as another spelling of the same days (2 and "P2D", 7 and "P1W"), naming the path', () => {
    expect(problems(reminder({ offsets: [2, 2, 'P2D'] }))).toEqual([
      `${FILE}: trigger.offsets[1]: 2 is 2 days after the date, as offsets[0] already is; each offset once`,
      `${FILE}: trigger.offsets[2]: "P2D" is 2 days after the date, as offsets[0] already is; each offset once`,
    ]);
    expect(problems(reminder({ offsets: [7, 'P1W'] }))).toEqual([`${FILE}: trigger.offsets[1]: "P1W" is 7 days after the date, as offsets[0] already is; each offset once`]);
    // Business days and months are other offsets than calendar days.
    expect(problems(reminder({ offsets: [2, { business_days: 2 }, 'P1M', 30] }))).toEqual([]);
  });
});

describe('validate: poll triggers (D1)', () => {
  const poll = (every: string) => ({
    name: 'changes',
    version: 1,
    description: 'D1 poll under test',
    trigger: { type: 'poll', action: 'salesforce.list_changed_fund_records', input: { object: 'PartnerFundRequest' }, every, cursor: '{% data.last_modified %}', dedup_key: '{% data.id %}' },
    steps: [{ id: 'done', type: 'stop' }],
  });

  it('refuses a poll more often than once a minute (PT0S would poll in a loop and spend the API quota), naming trigger.every', () => {
    const refused = `${FILE}: trigger.every: a poll runs at most once a minute: every is PT1M or longer (each poll is a query against the source system, counted against its API quota, e.g. Salesforce's daily API requests; PT0S would poll in a loop)`;
    expect(problems(poll('PT0S'))).toEqual([refused]);
    expect(problems(poll('PT1S'))).toEqual([refused]);
    expect(problems(poll('PT59S'))).toEqual([refused]);
    expect(problems(poll('PT1M'))).toEqual([]);
    expect(problems(poll('PT5M'))).toEqual([]);
  });

  it('refuses an every that is no ISO 8601 duration with that one message, not also the once-a-minute one', () => {
    expect(problems(poll('5m'))).toEqual([`${FILE}: trigger.every: an ISO 8601 duration such as P2D or PT30M`]);
  });
});

describe('validate: a timer offsets column of a table of your own (review10)', () => {
  const rows = { rows: (name: string) => (name === 'kickoff-days' ? [{ programme: 'MDF', days_after_start: 3 }] : undefined) };
  const own = (column: string) =>
    validateRecipe(reminder({ offsets: { table: 'kickoff-days', column } }), FILE, { catalog, tables: ['kickoff-days'], tableRows: rows }).problems.map(formatProblem);

  it('refuses a column no row has, naming the recipe file, the JSON path and the column meant (as a lookup where is checked)', () => {
    expect(own('days_after_strat')).toEqual([`${FILE}: trigger.offsets.column: table kickoff-days has no column "days_after_strat" (did you mean "days_after_start"?)`]);
    expect(own('days')).toEqual([`${FILE}: trigger.offsets.column: table kickoff-days has no column "days"; columns: programme, days_after_start`]);
  });

  it('takes a column the rows have', () => {
    expect(own('days_after_start')).toEqual([]);
  });
});
