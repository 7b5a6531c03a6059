import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testCommand } from './test-command.ts';

/**
 * `partnerflow test` as a user runs it, in a small project of its own (server/harness/fixtures/project:
 * one recipe, its email template, a scenario that passes and one that fails), so that the default
 * RECIPES_DIR, TABLES_DIR and templates folder are that project's.
 */
const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), '../harness/fixtures');
const project = join(fixtures, 'project');
const bin = resolve(fixtures, '../../../bin/partnerflow.js');
const KINDS = 'a step is one of: deliver, click, update, change_partner, submit_claim, change_claim, fault, retry, change_table, change_salesforce, import_leads, work_lead, merge_marketo_leads, expect, advance, set_clock';

function partnerflowTest(args: string[], env: Record<string, string> = {}, cwd = project) {
  const { RECIPES_DIR: _r, TABLES_DIR: _t, EMAIL_TEMPLATES_DIR: _e, ...inherited } = process.env;
  const result = spawnSync(process.execPath, [bin, 'test', ...args], { cwd, encoding: 'utf8', env: { ...inherited, LOG_LEVEL: 'silent', ...env }, timeout: 60_000 });
  return { code: result.status, out: lines(result.stdout), err: lines(result.stderr) };
}

/** Printed lines, with the durations (which vary) written as N. */
function lines(text: string): string[] {
  return text.replace(/\(\d+ ms\)/g, '(N ms)').split('\n').filter((line, i, all) => line !== '' || i < all.length - 1);
}

describe('partnerflow test', () => {
  it('runs every scenario under RECIPES_DIR, prints expected against actual for a failure, ends on the count and exits 1', () => {
    const { code, out, err } = partnerflowTest([]);
    expect(out).toEqual([
      '✗ The same request, expected to be denied [D11] (N ms)',
      '    recipes/fails.scenario.json',
      '  step 3 (expect) at 2026-03-03T09:00:00.000Z:',
      '    prm mdf_request where {"mdfNumber":"MDF-9001"}: status expected "Denied", actual "Approved"',
      '✓ A submitted request is confirmed, approved and copied to ops [D7] (N ms)',
      '1 passed, 1 failed',
    ]);
    expect(err).toEqual([]);
    expect(code).toBe(1);
  });

  it("runs the scenarios whatever deployment variables the shell has (an SMTP relay, a bad PRM key): a scenario reads none", () => {
    const deployment = { EMAIL_SMTP_URL: 'smtp://partnerflow@smtp.vendor.example:587', EMAIL_SMTP_PASSWORD: 'secret-from-env', PRM_TENANT_ID: 'abc', PORT: 'not-a-port' };
    const { code, out, err } = partnerflowTest(['recipes/passes.scenario.json'], deployment);
    expect(err).toEqual([]);
    expect(out).toEqual(['✓ A submitted request is confirmed, approved and copied to ops [D7] (N ms)', '1 passed, 0 failed']);
    expect(code).toBe(0);
  });

  it('exits 0 when every scenario it was given passes', () => {
    const { code, out } = partnerflowTest(['recipes/passes.scenario.json']);
    expect(out).toEqual(['✓ A submitted request is confirmed, approved and copied to ops [D7] (N ms)', '1 passed, 0 failed']);
    expect(code).toBe(0);
  });

  it('counts an invalid scenario file as failed, naming what is wrong with each step', () => {
    // Outside the current folder, a file is named by its absolute path rather than by climbing out with ../
    const file = join(fixtures, 'invalid/misspelt-step.scenario.json');
    const { code, out } = partnerflowTest(['../invalid/misspelt-step.scenario.json', 'recipes/passes.scenario.json']);
    expect(out).toEqual([
      `✗ ${file} (N ms)`,
      `    ${file}`,
      `  ${file}: steps[1]: unknown step "advnce" (did you mean "advance"?); ${KINDS}`,
      `  ${file}: steps[2].expect.runs[0].status: Invalid option: expected one of "queued"|"running"|"waiting"|"completed"|"failed"|"canceled"`,
      '✓ A submitted request is confirmed, approved and copied to ops [D7] (N ms)',
      '1 passed, 1 failed',
    ]);
    expect(code).toBe(1);
  });

  it('counts a scenario that writes a key twice in one object as failed, naming it: JSON would run only the last', () => {
    const dir = mkdtempSync(join(tmpdir(), 'partnerflow-twice-'));
    try {
      const file = join(dir, 'twice.scenario.json');
      writeFileSync(file, '{ "name": "twice", "steps": [ { "advance": "PT1H", "advance": "PT2H" } ] }');
      const { code, out } = partnerflowTest([file]);
      expect(out).toContain(`  ${file}: steps[0].advance: written twice in one object; JSON keeps the last and ignores the first, so write it once`);
      expect(out.at(-1)).toBe('0 passed, 1 failed');
      expect(code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counts a scenario file that is not JSON as failed, naming the line and column of the mistake (review 8, F8)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'partnerflow-syntax-'));
    try {
      const file = join(dir, 'syntax.scenario.json');
      writeFileSync(file, '{\n  "name": "syntax",\n  "steps": [\n    { "advance": "P1D" },\n  ]\n}\n');
      const { code, out } = partnerflowTest([file]);
      expect(out).toContain(`  ${file}:4:25: not valid JSON: trailing comma not allowed: remove the , before ]`);
      expect(out.at(-1)).toBe('0 passed, 1 failed');
      expect(code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a misspelt key with the closest key, and a runs expectation without status with what to write, naming the file and the entry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'partnerflow-keys-'));
    try {
      const file = join(dir, 'keys.scenario.json');
      writeFileSync(file, JSON.stringify({ name: 'keys', steps: [{ advance: 'P1D' }, { expect: { runs: [{ recipe: 'request-notice' }], emials: [] } }] }, null, 2));
      const { code, out } = partnerflowTest([file]);
      expect(out).toContain(`  ${file}: steps[1].expect.runs[0].status: missing: say which status the runs of request-notice must have now: add "status": "completed" (or queued, running, waiting, failed, canceled)`);
      expect(out).toContain(`  ${file}: steps[1].expect: unknown key "emials" (did you mean "emails"?)`);
      expect(out.at(-1)).toBe('0 passed, 1 failed');
      expect(code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs a scenario file kept anywhere against RECIPES_DIR, naming it by its absolute path, never ../../..', () => {
    const file = join(fixtures, 'elsewhere/deeper/kept-apart.scenario.json');
    const { code, out } = partnerflowTest(['../elsewhere']);
    expect(out).toEqual([
      '✗ Kept outside the project: two expectations that do not hold [D7, D11] (N ms)',
      `    ${file}`,
      '  step 2 (expect) at 2026-03-02T09:00:00.000Z:',
      '    expected an email to finance@adatum.example',
      '      actual: emails sent since the previous expect:',
      '        - to marketing@adatum.example: "We received MDF-9001: Data Days Lisbon"',
      '        - to ops@vendor.example: "We received MDF-9001: Data Days Lisbon"',
      '0 passed, 1 failed',
    ]);
    expect(out.join('\n')).not.toContain('../');
    expect(code).toBe(1);
  });

  it('says when a failed scenario kept outside RECIPES_DIR has recipes beside it, which it did not run against (review10)', () => {
    // A newcomer's scratch folder: a recipe and its scenario side by side, run without RECIPES_DIR.
    const scratch = mkdtempSync(join(tmpdir(), 'partnerflow-scratch-'));
    try {
      const recipe = { name: 'scratch-notice', version: 1, description: 'tells ops', trigger: { type: 'webhook', event: 'prm.mdf_request.submitted' }, steps: [{ id: 'done', type: 'stop' }] };
      writeFileSync(join(scratch, 'scratch-notice.recipe.json'), JSON.stringify(recipe));
      const scenario = { name: 'scratch notice runs', steps: [{ expect: { runs: [{ recipe: 'scratch-notice', status: 'completed' }] } }] };
      writeFileSync(join(scratch, 'scratch-notice.scenario.json'), JSON.stringify(scenario));
      const { code, out, err } = partnerflowTest([join(scratch, 'scratch-notice.scenario.json')]);
      expect(out.at(-1)).toBe('0 passed, 1 failed');
      expect(err).toEqual([
        `partnerflow test: ${join(scratch, 'scratch-notice.scenario.json')} ran against the recipes of RECIPES_DIR (recipes), not the recipe beside it (${join(scratch, 'scratch-notice.recipe.json')}); to test it: RECIPES_DIR=${scratch} partnerflow test ${join(scratch, 'scratch-notice.scenario.json')}`,
      ]);
      expect(code).toBe(1);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('with --keep-going, reports every failing step of a scenario, not only the first', () => {
    const { code, out } = partnerflowTest(['--keep-going', '../elsewhere']);
    expect(out.slice(2)).toEqual([
      '  step 2 (expect) at 2026-03-02T09:00:00.000Z:',
      '    expected an email to finance@adatum.example',
      '      actual: emails sent since the previous expect:',
      '        - to marketing@adatum.example: "We received MDF-9001: Data Days Lisbon"',
      '        - to ops@vendor.example: "We received MDF-9001: Data Days Lisbon"',
      '  step 3 (expect) at 2026-03-02T09:00:00.000Z:',
      '    prm mdf_request where {"mdfNumber":"MDF-9001"}: status expected "Denied", actual "Approved"',
      '0 passed, 1 failed',
    ]);
    expect(code).toBe(1);
  });

  it('exits 1 when it finds no scenario file', () => {
    const { code, out, err } = partnerflowTest(['recipes/email-templates']);
    expect(err).toEqual(['partnerflow test: no *.scenario.json files found in recipes/email-templates']);
    expect(out).toEqual(['0 passed, 0 failed']);
    expect(code).toBe(1);
  });

  it('exits 2 on a path that does not exist', () => {
    const { code, out, err } = partnerflowTest(['recipes/no-such.scenario.json']);
    expect(err[0]).toBe('partnerflow test: recipes/no-such.scenario.json: no such file or folder');
    expect(out).toEqual([]);
    expect(code).toBe(2);
  });

  it('runs no scenario on an invalid recipe, naming its file and JSON path, and counts them failed', () => {
    const { code, out, err } = partnerflowTest(['recipes/passes.scenario.json', 'recipes/fails.scenario.json'], {
      RECIPES_DIR: join(fixtures, 'broken-recipes'),
      EMAIL_TEMPLATES_DIR: 'recipes/email-templates',
    });
    expect(err).toEqual([
      'partnerflow test: cannot run the 2 scenarios: the recipes or tables they need did not load:',
      `${join(fixtures, 'broken-recipes/request-notice.recipe.json')}: steps[1].input.template: no email template "request-recieved" in recipes/email-templates (did you mean "request-received"?)`,
    ]);
    expect(out).toEqual(['0 passed, 2 failed']);
    expect(code).toBe(1);
  });

  it("runs the project's scenarios from another folder with RECIPES_DIR alone: tables and email templates are found in it", () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'partnerflow-test-elsewhere-'));
    try {
      const recipes = resolve(fixtures, '../../../recipes');
      const { code, out, err } = partnerflowTest([join(recipes, 'mdf-requests/approved-end-to-end.scenario.json')], { RECIPES_DIR: recipes }, elsewhere);
      expect(err).toEqual([]);
      expect(out.at(-1)).toBe('1 passed, 0 failed');
      expect(code).toBe(0);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('takes the email templates from EMAIL_TEMPLATES_DIR when it is set, and names that folder when a template is not in it', () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'partnerflow-test-elsewhere-'));
    try {
      const recipes = resolve(fixtures, '../../../recipes');
      const { code, err } = partnerflowTest([join(recipes, 'mdf-requests/approved-end-to-end.scenario.json')], { RECIPES_DIR: recipes, EMAIL_TEMPLATES_DIR: 'no-templates-here' }, elsewhere);
      expect(err.join('\n')).toContain('the templates folder no-templates-here (EMAIL_TEMPLATES_DIR) does not exist');
      expect(code).toBe(1);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('says so when there is no recipe to test', () => {
    const { code, out, err } = partnerflowTest(['recipes/passes.scenario.json'], { RECIPES_DIR: 'recipes/email-templates' });
    expect(err).toEqual([
      'partnerflow test: cannot run the scenario: the recipes or tables they need did not load:',
      'recipes/email-templates: no *.recipe.json or *.recipe.ts files (RECIPES_DIR), so no scenario has a recipe to run',
    ]);
    expect(out).toEqual(['0 passed, 1 failed']);
    expect(code).toBe(1);
  });

  it('explains its output and exit codes with --help', () => {
    const { code, out, err } = partnerflowTest(['--help']);
    // The usage and nothing else: no scenario was run (the project's failing one would print and exit 1).
    expect(out).toEqual(lines(testCommand.usage));
    expect(out[0]).toMatch(/^Usage: partnerflow test \[--keep-going\] \[paths\.\.\.\]/);
    expect(out.join(' ')).toContain('ends on the line "N passed, N failed". Exit code 0 only when all passed');
    expect(err).toEqual([]);
    expect(code).toBe(0);
  });
});
