import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Recipe } from '../../schemas/recipe.ts';
import { createTables, loadTables, TableError, type Row } from './tables.ts';
import { recipeTableProblems } from './table-keys.ts';
import { sameValue } from './same-value.ts';

const approvers = [
  { region: 'EMEA', approver_email: 'cmm.emea@vendor.example', approver_name: 'Elena Fischer', manager_email: 'Director.EMEA@vendor.example', manager_name: 'Jonas Weber' },
];

describe('tables: email addresses compare without regard to letter case (D9)', () => {
  it('holds the addresses of approvers and leave rows in lower case, so the leave of Cmm.Emea@Vendor.example is the leave of cmm.emea@vendor.example', () => {
    const tables = createTables({ approvers, leave: [{ approver_email: 'Cmm.Emea@Vendor.example', from: '2026-03-02', to: '2026-03-06' }] });
    expect(tables.rows('leave')).toEqual([{ approver_email: 'cmm.emea@vendor.example', from: '2026-03-02', to: '2026-03-06' }]);
    expect(tables.rows('approvers')![0]).toMatchObject({ manager_email: 'director.emea@vendor.example' });
  });

  it('a lookup by column values finds an address whatever its case; other values stay strictly equal', () => {
    expect(sameValue('cmm.emea@vendor.example', 'Cmm.Emea@Vendor.example')).toBe(true);
    expect(sameValue('EMEA', 'emea')).toBe(false);
    expect(sameValue(1, '1')).toBe(false);
  });

  it('refuses at start a leave row that names no approver of the approvers table, naming the file and the row', () => {
    const leave = [
      { approver_email: 'cmm.emea@vendor.example', from: '2026-03-02', to: '2026-03-06' },
      { approver_email: 'cmm.emae@vendor.example', from: '2026-04-01', to: '2026-04-03' },
    ];
    expect(() => createTables({ approvers, leave }, undefined, 'recipes/tables')).toThrow(TableError);
    expect(() => createTables({ approvers, leave }, undefined, 'recipes/tables')).toThrow(
      'recipes/tables/leave: rows[1].approver_email: cmm.emae@vendor.example is not an approver in the approvers table (did you mean "cmm.emea@vendor.example"?); add the approver there or correct the address',
    );
    expect(() => createTables({ approvers, leave: [{ approver_email: 'someone.else@vendor.example', from: '2026-03-02', to: '2026-03-06' }] }, undefined, 'recipes/tables')).toThrow(
      'recipes/tables/leave: rows[0].approver_email: someone.else@vendor.example is not an approver in the approvers table (approvers: cmm.emea@vendor.example); add the approver there or correct the address',
    );
  });
});

describe('tables: the leave of a secondary approver (D9)', () => {
  it("takes a leave row for an approver's manager, in any letter case, so ops learn when the CMM and their manager are away together", () => {
    const leave = [
      { approver_email: 'cmm.emea@vendor.example', from: '2026-03-02', to: '2026-03-13' },
      { approver_email: 'DIRECTOR.emea@vendor.example', from: '2026-03-02', to: '2026-03-06' },
    ];
    expect(createTables({ approvers, leave }, undefined, 'recipes/tables').rows('leave')).toEqual([leave[0], { ...leave[1], approver_email: 'director.emea@vendor.example' }]);
  });
});

describe('tables saved with a UTF-8 byte order mark (a Windows editor)', () => {
  it('load as the same tables without it: the mark is not part of the JSON (RFC 8259 8.1)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tables-'));
    try {
      writeFileSync(join(dir, 'approvers.json'), `\uFEFF${JSON.stringify({ description: 'who approves', rows: approvers })}`);
      writeFileSync(join(dir, 'leave.json'), `\uFEFF${JSON.stringify({ description: 'leave', rows: [] })}\r\n`);
      expect(loadTables(dir).rows('approvers')).toEqual([{ ...approvers[0], manager_email: 'director.emea@vendor.example' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tables: the MDF programme row (D4, D5)', () => {
  const row = { programme: 'MDF', minimum_request_usd: 1_000, ops_email: 'mdf-ops@vendor.example', ops_name: 'MDF operations', flexi_share: 0.05 };

  it('takes a vendor share with up to six decimal places and refuses a finer one, naming the file, the row and the column', () => {
    expect(() => createTables({ approvers, 'mdf-programme': [{ ...row, maximum_vendor_share: 0.333333 }] }, undefined, 'recipes/tables')).not.toThrow();
    expect(() => createTables({ approvers, 'mdf-programme': [{ ...row, maximum_vendor_share: 0.3333333 }] }, undefined, 'recipes/tables')).toThrow(
      /recipes\/tables\/mdf-programme.*rows\[0\]\.maximum_vendor_share.*at most six decimal places/,
    );
  });
});

describe('the lead-share table (D24, D25)', () => {
  const leadShare = { ops_email: 'lead.ops@vendor.example', ops_name: 'Partner Lead Operations', reminder_day: 23, recall_day: 30, exempt_source: 'Partner Sponsored Event' };

  it('is refused at start when the reminder day is not before the recall day: no partner would be reminded before the recall', () => {
    expect(() => createTables({ 'lead-share': [{ ...leadShare, reminder_day: 31 }] }, undefined, 'recipes/tables')).toThrow(
      'recipes/tables/lead-share: rows[0].reminder_day: 31 is not before recall_day 30; D24 reminds the partner before the recall (e.g. reminder_day 23, recall_day 30)',
    );
    expect(() => createTables({ 'lead-share': [{ ...leadShare, reminder_day: 30 }] })).toThrow(/tables\/lead-share: rows\[0\]\.reminder_day: 30 is not before recall_day 30/);
  });

  it('is refused when a day is not a whole number of days above zero, naming the row and the column', () => {
    expect(() => createTables({ 'lead-share': [{ ...leadShare, reminder_day: 0 }] })).toThrow('tables/lead-share: rows[0].reminder_day is 0, not a whole number of days above zero');
    expect(() => createTables({ 'lead-share': [{ ...leadShare, recall_day: '30' }] })).toThrow('tables/lead-share: rows[0].recall_day is "30", not a whole number of days above zero');
  });

  it('D23: is refused when digest_settle_minutes is not a whole number of minutes of at least 4 (longer than the 210 s one PRM call can take), naming the row', () => {
    const why = "the lead-share digest reads its window this long after the window's end; a lead's Partner Synced Date is taken before its PRM write, which the PRM client can resend for up to 210 s (3 attempts of 30 s, 2 waits of up to 60 s), so a shorter settle misses leads dated just before the end (e.g. digest_settle_minutes 10)";
    expect(() => createTables({ 'lead-share': [{ ...leadShare, digest_settle_minutes: 3 }] }, undefined, 'recipes/tables')).toThrow(`recipes/tables/lead-share: rows[0].digest_settle_minutes: 3 is not a whole number of minutes of at least 4; ${why}`);
    expect(() => createTables({ 'lead-share': [{ ...leadShare, digest_settle_minutes: '10' }] }, undefined, 'recipes/tables')).toThrow(`recipes/tables/lead-share: rows[0].digest_settle_minutes: "10" is not a whole number of minutes of at least 4; ${why}`);
    expect(() => createTables({ 'lead-share': [{ ...leadShare, digest_settle_minutes: 10 }] })).not.toThrow();
    expect(() => createTables({ 'lead-share': [leadShare] })).not.toThrow();
  });

  it('D24, D25: is refused when on_time_reminder_minutes is not a whole number of minutes from 0 to 1439, naming the row', () => {
    const why =
      "the recall on a lead's recall day reads the reminders sent up to this long after their run's scheduled time and waits until their notice is over, a reminder sent later is recalled by the next day's run; the recall runs every day, so a day or more would have one day's recall wait for leads the next day's recall reads too (e.g. on_time_reminder_minutes 60)";
    for (const bad of [1440, -1, 30.5, '60', null]) {
      expect(() => createTables({ 'lead-share': [{ ...leadShare, on_time_reminder_minutes: bad }] }, undefined, 'recipes/tables')).toThrow(
        `recipes/tables/lead-share: rows[0].on_time_reminder_minutes: ${JSON.stringify(bad)} is not a whole number of minutes from 0 to 1439; ${why}`,
      );
    }
    for (const good of [0, 60, 240, 1439]) expect(createTables({ 'lead-share': [{ ...leadShare, on_time_reminder_minutes: good }] }).rows('lead-share')![0]).toMatchObject({ on_time_reminder_minutes: good });
    expect(() => createTables({ 'lead-share': [leadShare] })).not.toThrow();
  });

  it('is refused when the look-back is not longer than the recall day: no lead would ever be recalled', () => {
    const why =
      'the reminder and the recall read only the leads shared after the run\'s scheduled time minus look_back_days, and the recall takes those shared recall_day days or more before it, so no lead would ever be recalled. Leave room for a recall that comes late (a reminder caught up late is recalled recall_day - reminder_day days after it): e.g. look_back_days 90, recall_day 30';
    expect(() => createTables({ 'lead-share': [{ ...leadShare, look_back_days: 29 }] }, undefined, 'recipes/tables')).toThrow(
      `recipes/tables/lead-share: rows[0].look_back_days: 29 is not longer than recall_day 30; ${why}`,
    );
    // Review 4: 30 and 30 made the recall's window (scheduled - 30 days, scheduled - 30 days] empty every day.
    expect(() => createTables({ 'lead-share': [{ ...leadShare, look_back_days: 30 }] }, undefined, 'recipes/tables')).toThrow(
      `recipes/tables/lead-share: rows[0].look_back_days: 30 is not longer than recall_day 30; ${why}`,
    );
    expect(() => createTables({ 'lead-share': [{ ...leadShare, look_back_days: 0 }] })).toThrow('tables/lead-share: rows[0].look_back_days is 0, not a whole number of days above zero');
    expect(() => createTables({ 'lead-share': [{ ...leadShare, look_back_days: '90' }] })).toThrow('tables/lead-share: rows[0].look_back_days is "90", not a whole number of days above zero');
  });

  it('takes a look-back longer than the recall day, and reads 90 days back when the table gives none', () => {
    expect(createTables({ 'lead-share': [{ ...leadShare, look_back_days: 31 }] }).rows('lead-share')![0]).toMatchObject({ look_back_days: 31 });
    expect(createTables({ 'lead-share': [{ ...leadShare, look_back_days: 365 }] }).rows('lead-share')![0]).toMatchObject({ look_back_days: 365 });
    expect(createTables({ 'lead-share': [leadShare] }).rows('lead-share')![0]).toMatchObject({ look_back_days: 90 });
  });

  it('accepts the shipped days (23, 30), and a table edit that keeps the reminder first', () => {
    expect(createTables({ 'lead-share': [leadShare] }).rows('lead-share')).toEqual([{ ...leadShare, look_back_days: 90 }]);
    expect(createTables({ 'lead-share': [{ ...leadShare, reminder_day: 20, recall_day: 28 }] }).rows('lead-share')![0]).toMatchObject({ reminder_day: 20, recall_day: 28 });
  });
});

describe('tables: a file ops edited', () => {
  it('refuses a number written twice in one row (a new value added below the old one), naming the row and the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'partnerflow-tables-'));
    try {
      writeFileSync(join(dir, 'lead-share.json'), '{ "rows": [ { "reminder_day": 23, "recall_day": 30, "recall_day": 28 } ] }');
      expect(() => loadTables(dir)).toThrow(TableError);
      expect(() => loadTables(dir)).toThrow(`${join(dir, 'lead-share.json')}: rows[0].recall_day: written twice in one object; JSON keeps the last and ignores the first, so write it once`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('one row per key in every table a recipe looks up (review 6)', () => {
  // A new user's recipe: a timer on the activity's start, days from its own table, the owner looked up by region.
  const followup = Recipe.parse({
    name: 'mdf-activity-followup',
    version: 1,
    description: 'Asks how an approved activity is going.',
    trigger: { type: 'timer', record: ['prm.mdf_request.changed'], key: '{% data.mdfNumber %}', date: '{% data.startDate %}', offsets: { table: 'followup-days', column: 'days_after_start' } },
    steps: [
      { id: 'owner', type: 'lookup', table: 'followup-owners', where: { region: '{% $trigger.data.region %}' }, required: true },
      { id: 'all_owners', type: 'lookup', table: 'followup-owners', where: { region: 'AMER' }, mode: 'all' },
    ],
  });
  const owners = [
    { region: 'EMEA', owner_email: 'old.owner@vendor.example' },
    { region: 'AMER', owner_email: 'amer.owner@vendor.example' },
    { region: 'EMEA', owner_email: 'dana.new@vendor.example' },
  ];
  const days = (...d: number[]) => d.map((days_after_start) => ({ days_after_start }));
  const problems = (tables: Record<string, Row[]>, recipes = [followup]) => recipeTableProblems(recipes.map((definition) => ({ definition })), createTables(tables), 'recipes/tables');

  it('refuses a table with two rows for the key a lookup reads it by (its where columns), naming the table, the key, both rows and which to keep', () => {
    expect(problems({ 'followup-owners': owners, 'followup-days': days(3, 7) })).toEqual([
      'recipes/tables/followup-owners: rows[2]: repeats rows[0] (region "EMEA"); step owner of recipe mdf-activity-followup looks the table up by region and reads one row per key: keep one, delete rows[0] if rows[2] replaces it (else delete rows[2])',
    ]);
    expect(problems({ 'followup-owners': owners.slice(0, 2), 'followup-days': days(3, 7) })).toEqual([]);
  });

  it('compares addresses without regard to letter case, as the lookup does; a literal where value reads only its own rows; mode all reads every row', () => {
    const byEmail = Recipe.parse({ ...followup, trigger: { type: 'webhook', event: 'prm.mdf_request.changed' }, steps: [{ id: 'who', type: 'lookup', table: 'people', where: { email: '{% $trigger.data.email %}' } }] });
    expect(problems({ people: [{ email: 'A@Vendor.example' }, { email: 'a@vendor.example' }] }, [byEmail])).toEqual([
      'recipes/tables/people: rows[1]: repeats rows[0] (email "a@vendor.example"); step who of recipe mdf-activity-followup looks the table up by email and reads one row per key: keep one, delete rows[0] if rows[1] replaces it (else delete rows[1])',
    ]);
    const literal = Recipe.parse({ ...byEmail, steps: [{ id: 'mdf', type: 'lookup', table: 'programmes', where: { programme: 'MDF' } }] });
    expect(problems({ programmes: [{ programme: 'MDF' }, { programme: 'OTHER' }, { programme: 'OTHER' }] }, [literal])).toEqual([]);
    const all = Recipe.parse({ ...byEmail, steps: [{ id: 'every', type: 'lookup', table: 'people', where: { email: '{% $trigger.data.email %}' }, mode: 'all' }] });
    expect(problems({ people: [{ email: 'a@vendor.example' }, { email: 'a@vendor.example' }] }, [all])).toEqual([]);
  });

  it('rows without a value in the key column are no key: a lookup never reads them (a value of nothing matches no row, review 8, F1), so they repeat nothing', () => {
    const withOptional = [{ region: 'EMEA', owner_email: 'emea.owner@vendor.example' }, { owner_email: 'spare.one@vendor.example' }, { region: null, owner_email: 'spare.two@vendor.example' }, { owner_email: 'spare.three@vendor.example' }];
    expect(problems({ 'followup-owners': withOptional, 'followup-days': days(3, 7) })).toEqual([]);
  });

  it('a column no row has (a table edited under the recipes, or recipes given in code) is named with the closest column, not read as rows that repeat each other (review 8, F7)', () => {
    const typo = Recipe.parse({ ...followup, trigger: { type: 'webhook', event: 'prm.mdf_request.changed' }, steps: [{ id: 'owner', type: 'lookup', table: 'followup-owners', where: { regoin: '{% $trigger.data.region %}' } }] });
    expect(problems({ 'followup-owners': owners.slice(0, 2) }, [typo])).toEqual([
      'recipes/tables/followup-owners: the table has no column "regoin" (did you mean "region"?); step owner of recipe mdf-activity-followup looks it up by regoin: correct the column in the recipe, or add it to the rows',
    ]);
  });

  it('refuses a day written twice in a timer\'s offsets table: it would be one timer where ops meant two', () => {
    expect(problems({ 'followup-owners': owners.slice(0, 2), 'followup-days': days(3, 7, 7) })).toEqual([
      'recipe mdf-activity-followup: table followup-days: rows[2].days_after_start: 7 is already in rows[1]; a day fires one timer, so write each day once',
    ]);
  });
});

describe('ops\' mistakes in table files: the value given and the form to write, every table in one go (review 6)', () => {
  it('quotes the value (a trailing space shows), says to write a date YYYY-MM-DD and a number without separators, and reports all three tables at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'partnerflow-tables-'));
    try {
      const write = (name: string, rows: Row[]) => writeFileSync(join(dir, `${name}.json`), JSON.stringify({ rows }));
      write('approvers', [{ ...approvers[0], region: 'LATAM ' }]);
      write('leave', [{ approver_email: 'cmm.emea@vendor.example', from: '27/07/2026', to: '2026-08-07' }]);
      write('mdf-budgets', [{ region: 'EMEA', quarter: '2027-Q1', budget_usd: '250,000' }]);
      let message = '';
      try {
        loadTables(dir);
      } catch (error) {
        expect(error).toBeInstanceOf(TableError);
        message = (error as Error).message;
      }
      expect(message.split('\n')).toEqual([
        `${dir}/approvers: rows[0].region: "LATAM " (it has a trailing space): a region code in capitals, e.g. EMEA`,
        `${dir}/leave: rows[0].from: "27/07/2026": a date written YYYY-MM-DD, e.g. 2026-07-27`,
        `${dir}/mdf-budgets: rows[0].budget_usd: "250,000": a number written without quotes or separators, e.g. 250000`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says `to` is before `from` only when both are dates', () => {
    expect(() => createTables({ approvers, leave: [{ approver_email: 'cmm.emea@vendor.example', from: '2026-08-07', to: '2026-07-27' }] }, undefined, 'recipes/tables')).toThrow(
      'recipes/tables/leave: rows[0].to: "2026-07-27": `to` is before `from`',
    );
    expect(() => createTables({ approvers, leave: [{ approver_email: 'cmm.emea@vendor.example', from: '2026-08-07', to: '7.8.2026' }] }, undefined, 'recipes/tables')).toThrow(
      /^recipes\/tables\/leave: rows\[0\]\.to: "7\.8\.2026": a date written YYYY-MM-DD, e\.g\. 2026-07-27$/,
    );
  });
});

describe('tables: the business calendar time zone (review10)', () => {
  it('refuses a misspelt zone quoting it and naming the zone meant, as a schedule trigger does', () => {
    expect(() => createTables({}, { timezone: 'Europe/Berln', weekend: [6, 7], holidays: [] }, 'recipes/tables')).toThrow(
      'recipes/tables/business-calendar: timezone: unknown time zone "Europe/Berln" (did you mean "Europe/Berlin"?)',
    );
  });
});

describe('tables: a row that is not an object (review10)', () => {
  it('says what a row is, one line a row, instead of "expected record, received array"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tables-'));
    try {
      writeFileSync(join(dir, 'weekly-settings.json'), JSON.stringify({ rows: [{ programme: 'MDF', ops_email: 'ops@vendor.example' }, ['MDF', 'ops2@vendor.example'], 'MDG'] }));
      const form = 'a row is an object of columns and their values, e.g. { "region": "EMEA", "approver_email": "cmm.emea@vendor.example" }';
      expect(() => loadTables(dir)).toThrow(`${join(dir, 'weekly-settings.json')}: rows[1]: ${form}\n${join(dir, 'weekly-settings.json')}: rows[2]: ${form}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('untouched-lead-statuses (D24, D25)', () => {
  it('takes a Lead Status as the PRM writes it, and refuses a blank one or one with surrounding spaces, naming the row', () => {
    expect(createTables({ 'untouched-lead-statuses': [{ status: 'New' }, { status: 'Open - Not Contacted' }] }).rows('untouched-lead-statuses')).toEqual([{ status: 'New' }, { status: 'Open - Not Contacted' }]);
    expect(() => createTables({ 'untouched-lead-statuses': [{ status: 'New ' }] }, undefined, 'recipes/tables')).toThrow(/recipes\/tables\/untouched-lead-statuses: rows\[0\]\.status.*not blank and without surrounding spaces/);
    expect(() => createTables({ 'untouched-lead-statuses': [{ status: '' }] }, undefined, 'recipes/tables')).toThrow(/rows\[0\]\.status/);
  });
});
