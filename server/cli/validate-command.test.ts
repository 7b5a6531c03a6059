import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { fakeConnectors } from '../recipes/fixtures/fake-connectors.ts';
import { captureConsole } from '../../test/support/capture-console.ts';
import { createValidateCommand, validateCommand } from './validate-command.ts';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../recipes/fixtures');
const shown = (path: string) => relative(process.cwd(), join(fixtures, path));
const command = createValidateCommand(async () => fakeConnectors as never);

describe('partnerflow validate', () => {
  let output: ReturnType<typeof captureConsole>;
  beforeEach(() => {
    output = captureConsole();
    vi.stubEnv('RECIPES_DIR', join(fixtures, 'recipes'));
    vi.stubEnv('TABLES_DIR', join(fixtures, 'tables'));
  });
  afterEach(() => {
    output.restore();
    vi.unstubAllEnvs();
  });

  it('checks RECIPES_DIR by default and exits 0 when every recipe is valid', async () => {
    expect(await command.run({ values: {}, positionals: [] })).toBe(0);
    expect(output.out).toEqual([
      `✓ ${shown('recipes/account-closed.recipe.json')}`,
      `✓ ${shown('recipes/nested/account-closed-built.recipe.ts')}`,
      '2 recipes valid, 0 with problems',
    ]);
  });

  it('prints each problem with its file and JSON path, and exits 1', async () => {
    const paths = [join(fixtures, 'recipes/account-closed.recipe.json'), join(fixtures, 'broken')];
    expect(await command.run({ values: {}, positionals: paths })).toBe(1);
    expect(output.out).toEqual([
      `✓ ${shown('recipes/account-closed.recipe.json')}`,
      `${shown('broken/a-bad-action.recipe.json')}: steps[0].action: unknown action "crm.get_acount" (did you mean "crm.get_account"?)`,
      `${shown('broken/b-not-json.recipe.json')}:2:1: not valid JSON: the file ends before the { opened at 1:1 is closed`,
      `✓ ${shown('broken/c-same-name.recipe.json')}`,
      `${shown('broken/d-same-name.recipe.json')}: name: "twin" is also the name of the recipe in ${shown('broken/c-same-name.recipe.json')}; recipe names must be unique`,
      // Valid in the language, refused by this runtime's `serve`: validate says so rather than pass it.
      `${shown('broken/e-poll-trigger.recipe.json')}: trigger.action: crm.get_account cannot be polled: it has no \`since\` input to take the watermark (a poll action takes since and page and answers { items, next_page })`,
      '2 recipes valid, 4 with problems',
    ]);
  });

  it('checks lookups against the tables of TABLES_DIR, naming the folder when it does not exist (validate run outside the repository)', async () => {
    vi.stubEnv('TABLES_DIR', join(fixtures, 'no-tables-here'));
    expect(await command.run({ values: {}, positionals: [join(fixtures, 'recipes/account-closed.recipe.json')] })).toBe(1);
    expect(output.out).toEqual([
      `${shown('recipes/account-closed.recipe.json')}: steps[1].table: unknown table "owners": the tables folder ${shown('no-tables-here')} (TABLES_DIR) does not exist`,
      '0 recipes valid, 1 with problems',
    ]);
  });

  it('names the tables folder with the tables it has when a lookup names none of them (review 8, F8: a recipe folder of ones own)', async () => {
    vi.stubEnv('TABLES_DIR', join(fixtures, 'tables'));
    const recipe = JSON.parse(readFileSync(join(fixtures, 'recipes/account-closed.recipe.json'), 'utf8')) as { steps: Array<{ table?: string }> };
    const file = join(mkdtempSync(join(tmpdir(), 'partnerflow-validate-')), 'watchers.recipe.json');
    writeFileSync(file, JSON.stringify({ ...recipe, steps: recipe.steps.map((s) => (s.table === undefined ? s : { ...s, table: 'finance-watchers' })) }));
    expect(await command.run({ values: {}, positionals: [file] })).toBe(1);
    expect(output.out[0]).toBe(`${file}: steps[1].table: unknown table "finance-watchers"; the tables in ${shown('tables')} (TABLES_DIR): owners`);
  });

  it('names the line and column of each JSON mistake of a recipe file and says it in words (review 8, F8), not as a character offset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'partnerflow-validate-syntax-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const files = {
      'comma.recipe.json': '{\n  "name": "comma",\n  "version": 1\n  "description": "d"\n}\n',
      'trailing.recipe.json': '{\n  "name": "trailing",\n  "steps": [\n    { "id": "a" },\n  ]\n}\n',
      'unterminated.recipe.json': '{\n  "name": "unterminated,\n  "version": 1\n}\n',
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    expect(await command.run({ values: {}, positionals: [dir] })).toBe(1);
    // Outside the current folder a file is named by its absolute path.
    const file = (name: string) => join(dir, name);
    expect(output.out).toEqual([
      `${file('comma.recipe.json')}:4:3: not valid JSON: a comma or } is missing after the value`,
      `${file('trailing.recipe.json')}:4:18: not valid JSON: trailing comma not allowed: remove the , before ]`,
      `${file('unterminated.recipe.json')}:2:11: not valid JSON: unterminated string: the " that opens it is not closed on its line (a line break inside a string is written \\n)`,
      '0 recipes valid, 3 with problems',
    ]);
  });

  it('names the line and column of a table file that is not JSON', async () => {
    const tables = mkdtempSync(join(tmpdir(), 'validate-tables-syntax-'));
    onTestFinished(() => rmSync(tables, { recursive: true, force: true }));
    vi.stubEnv('TABLES_DIR', tables);
    writeFileSync(join(tables, 'owners.json'), '{ "rows": [\n  { "email": \'owner@example.com\' }\n] }\n');
    expect(await command.run({ values: {}, positionals: [join(fixtures, 'recipes/account-closed.recipe.json')] })).toBe(1);
    expect(output.err.join('\n')).toContain(`${join(tables, 'owners.json')}:2:14: not valid JSON: strings take double quotes ("), not single quotes`);
  });

  it('exits 2 on a path that does not exist', async () => {
    expect(await command.run({ values: {}, positionals: ['no/such/recipes'] })).toBe(2);
    expect(output.err[0]).toBe('partnerflow validate: no/such/recipes: no such file or folder');
    expect(output.out).toEqual([]);
  });

  it('exits 1 when there is nothing to validate', async () => {
    expect(await command.run({ values: {}, positionals: [join(fixtures, 'tables')] })).toBe(1);
    expect(output.err).toEqual(['partnerflow validate: no *.recipe.json or *.recipe.ts files found']);
    expect(output.out).toEqual(['0 recipes valid, 0 with problems']);
  });

  it('passes the shipped recipes with the shipped connector pack', async () => {
    const repository = join(fixtures, '../../..');
    vi.stubEnv('RECIPES_DIR', join(repository, 'recipes'));
    vi.stubEnv('TABLES_DIR', join(repository, 'recipes/tables'));
    const code = await validateCommand.run({ values: {}, positionals: [] });
    expect(output.out.filter((line) => !line.startsWith('✓ '))).toEqual([expect.stringMatching(/^\d+ recipes? valid, 0 with problems$/)]);
    expect(code).toBe(0);
  });

  it('says when a recipe with problems outside RECIPES_DIR has tables or email templates beside it, which it was not checked against (review10)', async () => {
    // A newcomer's scratch folder: a recipe and its own email template, validated without RECIPES_DIR.
    const scratch = mkdtempSync(join(tmpdir(), 'partnerflow-scratch-'));
    onTestFinished(() => rmSync(scratch, { recursive: true, force: true }));
    const recipe = { name: 'scratch-notice', version: 1, description: 'tells ops', trigger: { type: 'webhook', event: 'prm.mdf_request.submitted' }, steps: [{ id: 'tell', type: 'action', action: 'email.send', input: { to: ['ops@vendor.example'], template: 'scratch-notice' } }] };
    writeFileSync(join(scratch, 'scratch-notice.recipe.json'), JSON.stringify(recipe));
    mkdirSync(join(scratch, 'email-templates'));
    writeFileSync(join(scratch, 'email-templates/scratch-notice.txt'), '---\nsubject: Hello\n---\nHello\n');
    const code = await validateCommand.run({ values: {}, positionals: [join(scratch, 'scratch-notice.recipe.json')] });
    expect(output.out).toEqual([`${join(scratch, 'scratch-notice.recipe.json')}: steps[0].input.template: no email template "scratch-notice": the templates folder ${shown('recipes/email-templates')} (EMAIL_TEMPLATES_DIR) does not exist`, '0 recipes valid, 1 with problems']);
    expect(output.err).toEqual([
      `partnerflow validate: ${join(scratch, 'scratch-notice.recipe.json')} is outside RECIPES_DIR (${shown('recipes')}) and was checked against the tables of ${shown('tables')} and the email templates of ${shown('recipes/email-templates')}, not the ${join(scratch, 'email-templates')} beside it; to check it as a runtime on that folder reads it: RECIPES_DIR=${scratch} partnerflow validate ${join(scratch, 'scratch-notice.recipe.json')}`,
    ]);
    expect(code).toBe(1);
  });

  it('rejects a literal template name that names no email template, with file and JSON path', async () => {
    vi.stubEnv('EMAIL_TEMPLATES_DIR', join(fixtures, 'email-templates'));
    const code = await validateCommand.run({ values: {}, positionals: [join(fixtures, 'misspelt-template')] });
    const file = shown('misspelt-template/notify.recipe.json');
    // approval.request and email.send declare the check; each literal an expression can choose is checked, a name computed at run time is not judged.
    expect(output.out).toEqual([
      `${file}: steps[1].input.template: no email template "approval-requst" in ${shown('email-templates')} (did you mean "approval-request"?)`,
      `${file}: steps[2].input.template: no email template "mdf-request-cancled" in ${shown('email-templates')}`,
      `${file}: steps[4].input.template: the expression can choose "request-cancelled", but there is no email template "request-cancelled" in ${shown('email-templates')}: a run that chooses it would fail at this step (did you mean "request-canceled"?)`,
      '0 recipes valid, 1 with problems',
    ]);
    expect(code).toBe(1);
  });

  it('names a name an email template reads that the step\'s data does not give, with the step, the template and the closest data key', async () => {
    vi.stubEnv('EMAIL_TEMPLATES_DIR', join(fixtures, 'email-templates'));
    const code = await validateCommand.run({ values: {}, positionals: [join(fixtures, 'template-data')] });
    expect(output.out).toEqual([
      `${shown('template-data/cancel-notice.recipe.json')}: steps[1].input.data: step "tell_ops" renders email template "request-canceled", which reads "request", but the step's data has no "request": the email would show a blank there (did you mean "reqeust"?)`,
      '0 recipes valid, 1 with problems',
    ]);
    expect(code).toBe(1);
  });

  it('a table row an if on the same lookup keeps from the send (notify false, template "n/a") is not followed: the recipe is valid', async () => {
    vi.stubEnv('EMAIL_TEMPLATES_DIR', join(fixtures, 'templates-guarded/email-templates'));
    vi.stubEnv('TABLES_DIR', join(fixtures, 'templates-guarded/tables'));
    const code = await validateCommand.run({ values: {}, positionals: [join(fixtures, 'templates-guarded/recipes')] });
    expect(output.out).toEqual([`✓ ${shown('templates-guarded/recipes/decision-notice.recipe.json')}`, '1 recipe valid, 0 with problems']);
    expect(code).toBe(0);
  });

  describe('a template name that comes from a table or from a variable set earlier', () => {
    const folder = (path: string) => shown(`templates-from-tables/${path}`);
    beforeEach(() => {
      vi.stubEnv('EMAIL_TEMPLATES_DIR', join(fixtures, 'templates-from-tables/email-templates'));
      vi.stubEnv('TABLES_DIR', join(fixtures, 'templates-from-tables/tables'));
    });

    it('checks every row of the table column a lookup reads the template from, and every literal or table value set into $vars before the send; a name from the event is not judged', async () => {
      const code = await validateCommand.run({ values: {}, positionals: [join(fixtures, 'templates-from-tables/recipes')] });
      const templates = folder('email-templates');
      const denid = `from column template of ${folder('tables/decision-notices.json')} rows[1] (status "Denied"), read by lookup step "notice"`;
      // request-canceled, which the table's last row names, exists but calls a function templates do not have.
      const canceled = 'email template "request-canceled" calls $formatDate in {{ $formatDate(request.canceledAt) }}, which is not a function in email templates: a send fails there (did you mean "$formatBase"?)';
      expect(output.out).toEqual([
        `${folder('recipes/decision-notice.recipe.json')}: steps[2].input.template: step "tell_partner" can send email template "request-denid", ${denid}; there is no email template "request-denid" in ${templates}: a run that reads that row would fail at this step (did you mean "request-denied"?)`,
        `${folder('recipes/decision-notice.recipe.json')}: steps[2].input.template: ${canceled}`,
        `${folder('recipes/decision-reminder.recipe.json')}: steps[4].input.template: step "remind_partner" can send email template "request-denid", set as $vars.reminder_template by step "remember", ${denid}; there is no email template "request-denid" in ${templates}: a run that reads that row would fail at this step (did you mean "request-denied"?)`,
        `${folder('recipes/decision-reminder.recipe.json')}: steps[4].input.template: ${canceled}`,
        `${folder('recipes/received-notice.recipe.json')}: steps[2].input.template: step "tell_partner" can send email template "request-receved", set as $vars.template_name by step "pick"; there is no email template "request-receved" in ${templates}: a run that sends it would fail at this step (did you mean "request-received"?)`,
        '0 recipes valid, 3 with problems',
      ]);
      expect(code).toBe(1);
    });
  });

  describe('the tables the recipes read (review 6)', () => {
    let tables: string;
    beforeEach(() => {
      tables = mkdtempSync(join(tmpdir(), 'validate-tables-'));
      vi.stubEnv('TABLES_DIR', tables);
    });
    afterEach(() => rmSync(tables, { recursive: true, force: true }));
    const write = (name: string, rows: unknown[]) => writeFileSync(join(tables, `${name}.json`), JSON.stringify({ rows }, null, 2));

    it('refuses a table of the user\'s own with two rows for the key a lookup reads it by, naming the table, the key and both rows', async () => {
      // account-closed looks `owners` up by email; ops appended the owner again, in other letters.
      write('owners', [{ email: 'owner@example.com' }, { email: 'someone@example.com' }, { email: 'Owner@Example.com' }]);
      expect(await command.run({ values: {}, positionals: [join(fixtures, 'recipes/account-closed.recipe.json')] })).toBe(1);
      expect(output.out).toEqual([
        `✓ ${shown('recipes/account-closed.recipe.json')}`,
        `${tables}/owners: rows[2]: repeats rows[0] (email "owner@example.com"); step owner of recipe account-closed looks the table up by email and reads one row per key: keep one, delete rows[0] if rows[2] replaces it (else delete rows[2])`,
        '1 recipe valid, 0 with problems; 1 table with problems',
      ]);
    });

    it('refuses a lookup by a column no row of the table has (review 8, F7: a typo in the recipe), on the recipe and with the closest column, not as rows to delete', async () => {
      write('owners', [{ email: 'owner@example.com', team: 'EMEA' }, { email: 'someone@example.com', team: 'AMER' }]);
      // The recipe beside the table files would be read as a table.
      const recipes = mkdtempSync(join(tmpdir(), 'validate-recipes-'));
      onTestFinished(() => rmSync(recipes, { recursive: true, force: true }));
      const recipe = join(recipes, 'owner-by-team.recipe.json');
      writeFileSync(
        recipe,
        JSON.stringify({
          name: 'owner-by-team',
          version: 1,
          description: 'Tells the team owner.',
          trigger: { type: 'webhook', event: 'crm.account.changed' },
          steps: [{ id: 'owner', type: 'lookup', table: 'owners', where: { taem: '{% $trigger.data.status %}' }, required: true }],
        }),
      );
      expect(await command.run({ values: {}, positionals: [recipe] })).toBe(1);
      expect(output.out).toEqual([`${recipe}: steps[0].where.taem: table owners has no column "taem" (did you mean "team"?)`, '0 recipes valid, 1 with problems']);
    });

    it('reports ops\' mistakes in every table at once, each with the value given and the form to write, without a false follow-on', async () => {
      write('owners', [{ email: 'owner@example.com' }]);
      write('approvers', [{ region: 'LATAM ', approver_email: 'cmm.latam@vendor.example', approver_name: 'Lu', manager_email: 'dir.latam@vendor.example', manager_name: 'Di' }]);
      write('leave', [{ approver_email: 'cmm.latam@vendor.example', from: '27/07/2026', to: '2026-08-07' }]);
      write('mdf-budgets', [{ region: 'EMEA', quarter: '2027-Q1', budget_usd: '250,000' }]);
      expect(await command.run({ values: {}, positionals: [join(fixtures, 'recipes/account-closed.recipe.json')] })).toBe(1);
      expect(output.err.join('\n').split('\n')).toEqual([
        `partnerflow validate: the tables in ${tables} (TABLES_DIR) have problems; the recipes are not checked until they load:`,
        `${tables}/approvers: rows[0].region: "LATAM " (it has a trailing space): a region code in capitals, e.g. EMEA`,
        `${tables}/leave: rows[0].from: "27/07/2026": a date written YYYY-MM-DD, e.g. 2026-07-27`,
        `${tables}/mdf-budgets: rows[0].budget_usd: "250,000": a number written without quotes or separators, e.g. 250000`,
      ]);
    });
  });

  it('explains itself with --help', () => {
    expect(command.usage).toMatch(/^Usage: partnerflow validate \[paths\.\.\.\]/);
    expect(command.usage).toContain('Exit code 0 when every recipe is valid, 1 when one has problems, 2 on a path that does not exist.');
  });
});
