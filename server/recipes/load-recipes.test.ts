import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.ts';
import { Recipe } from '../../schemas/recipe.ts';
import { loadConfig } from '../config.ts';
import { ConnectorCatalog } from '../engine/connector-registry.ts';
import { loadTables } from '../engine/tables.ts';
import { fakeCatalog } from './fixtures/fake-connectors.ts';
import { loadRecipes, RecipeLoadError } from './load-recipes.ts';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
/** How the loader names files under the working directory: relative, as users type them. */
const shown = (path: string) => relative(process.cwd(), path);
const options = { catalog: fakeCatalog(), tables: ['owners'] };

async function loadError(dir: string): Promise<RecipeLoadError> {
  const error = await loadRecipes(dir, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RecipeLoadError);
  return error as RecipeLoadError;
}

describe('loadRecipes', () => {
  const temporary: string[] = [];
  afterEach(() => {
    for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('loads JSON and TS recipes recursively, in a stable order, skipping other files', async () => {
    const recipes = await loadRecipes(join(fixtures, 'recipes'), options);
    expect(recipes.map((r) => [r.definition.name, r.file])).toEqual([
      ['account-closed', shown(join(fixtures, 'recipes/account-closed.recipe.json'))],
      ['account-closed-built', shown(join(fixtures, 'recipes/nested/account-closed-built.recipe.ts'))],
    ]);
  });

  it('loads a TS recipe built with the builder as the same recipe its JSON twin is', async () => {
    const [json, ts] = await loadRecipes(join(fixtures, 'recipes'), options);
    const { $schema: _, ...fromJson } = json!.definition;
    expect({ ...ts!.definition, name: fromJson.name }).toEqual(Recipe.parse(fromJson));
  });

  it('skips node_modules and dot folders', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recipes-'));
    temporary.push(dir);
    cpSync(join(fixtures, 'recipes/account-closed.recipe.json'), join(dir, 'account-closed.recipe.json'));
    for (const skipped of ['node_modules', '.git']) {
      mkdirSync(join(dir, skipped));
      cpSync(join(fixtures, 'broken/a-bad-action.recipe.json'), join(dir, skipped, 'a-bad-action.recipe.json'));
    }
    expect((await loadRecipes(dir, options)).map((r) => r.definition.name)).toEqual(['account-closed']);
  });

  it('refuses a JSON recipe that writes a key twice in one object, naming each: JSON would keep the last and drop the first without a word', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recipes-'));
    temporary.push(dir);
    const recipe = JSON.parse(readFileSync(join(fixtures, 'recipes/account-closed.recipe.json'), 'utf8')) as { description: string };
    const text = JSON.stringify(recipe, null, 2).replace('"description":', `"description": ${JSON.stringify(recipe.description)},\n  "description":`);
    writeFileSync(join(dir, 'twice.recipe.json'), text);
    const error = await loadError(dir);
    expect(error.message).toBe(`${join(dir, 'twice.recipe.json')}: description: written twice in one object; JSON keeps the last and ignores the first, so write it once`);
  });

  it('loads a JSON recipe saved with a UTF-8 byte order mark (a Windows editor), as the same recipe without it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recipes-'));
    temporary.push(dir);
    const text = readFileSync(join(fixtures, 'recipes/account-closed.recipe.json'), 'utf8');
    writeFileSync(join(dir, 'bom.recipe.json'), `\uFEFF${text}`);
    const loaded = await loadRecipes(dir, options);
    expect(loaded.map((r) => r.definition)).toEqual([Recipe.parse(JSON.parse(text))]);
  });

  it('refuses to load when any file has a problem, listing every problem of every file', async () => {
    const error = await loadError(join(fixtures, 'broken'));
    const file = (name: string) => shown(join(fixtures, 'broken', name));
    expect(error.message.split('\n')).toEqual([
      `${file('a-bad-action.recipe.json')}: steps[0].action: unknown action "crm.get_acount" (did you mean "crm.get_account"?)`,
      `${file('b-not-json.recipe.json')}:2:1: not valid JSON: the file ends before the { opened at 1:1 is closed`,
      `${file('d-same-name.recipe.json')}: name: "twin" is also the name of the recipe in ${file('c-same-name.recipe.json')}; recipe names must be unique`,
      `${file('e-poll-trigger.recipe.json')}: trigger.action: crm.get_account cannot be polled: it has no \`since\` input to take the watermark (a poll action takes since and page and answers { items, next_page })`,
    ]);
    expect(error.problems.map((p) => p.path)).toEqual(['steps[0].action', '', 'name', 'trigger.action']);
    expect(error.name).toBe('RecipeLoadError');
  });

  it('refuses a TS recipe whose builder rejects it, naming the file and the path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recipes-'));
    temporary.push(dir);
    const builder = pathToFileURL(join(fixtures, '../../../schemas/recipe-builder.ts')).href;
    writeFileSync(
      join(dir, 'invalid-built.recipe.ts'),
      `import { defineRecipe, stop } from '${builder}';
export default defineRecipe({
  name: 'invalid-built', version: 1, description: 'a step id in capitals',
  trigger: { type: 'webhook', event: 'crm.account.changed' },
  steps: [stop('Done')],
});
`,
    );
    const error = await loadError(dir);
    expect(error.message).toBe(
      `${join(dir, 'invalid-built.recipe.ts')}: cannot be imported: recipe "invalid-built" is not valid: steps[0].id: a step id is snake_case, starting with a letter`,
    );
  });

  it('refuses, as the runtime does at start, a recipe whose email template does not exist', async () => {
    // The settings the runtime's start passes: its configuration's, here with this test's templates folder.
    const { connectors } = loadConfig({ EMAIL_TEMPLATES_DIR: join(fixtures, 'email-templates') }, { mock: true, connectors: CONNECTORS });
    const error = await loadRecipes(join(fixtures, 'misspelt-template'), { catalog: new ConnectorCatalog(CONNECTORS), tables: [], connectorConfigs: connectors }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecipeLoadError);
    expect((error as RecipeLoadError).message.split('\n')).toEqual([
      `${shown(join(fixtures, 'misspelt-template/notify.recipe.json'))}: steps[1].input.template: no email template "approval-requst" in ${shown(join(fixtures, 'email-templates'))} (did you mean "approval-request"?)`,
      `${shown(join(fixtures, 'misspelt-template/notify.recipe.json'))}: steps[2].input.template: no email template "mdf-request-cancled" in ${shown(join(fixtures, 'email-templates'))}`,
      `${shown(join(fixtures, 'misspelt-template/notify.recipe.json'))}: steps[4].input.template: the expression can choose "request-cancelled", but there is no email template "request-cancelled" in ${shown(join(fixtures, 'email-templates'))}: a run that chooses it would fail at this step (did you mean "request-canceled"?)`,
    ]);
  });

  it('refuses, as the start does, a template name a table column gives (every row its lookup can read) or a set step puts in $vars, in validate\'s words: start, test and validate agree', async () => {
    const folder = join(fixtures, 'templates-from-tables');
    const { connectors } = loadConfig({ EMAIL_TEMPLATES_DIR: join(folder, 'email-templates') }, { mock: true, connectors: CONNECTORS });
    const tables = loadTables(join(folder, 'tables'));
    const error = await loadRecipes(join(folder, 'recipes'), { catalog: new ConnectorCatalog(CONNECTORS), tables: tables.names(), tablesDir: join(folder, 'tables'), connectorConfigs: connectors, tableRows: tables }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecipeLoadError);
    const templates = shown(join(folder, 'email-templates'));
    const denid = `from column template of ${shown(join(folder, 'tables/decision-notices.json'))} rows[1] (status "Denied"), read by lookup step "notice"`;
    const canceled = 'email template "request-canceled" calls $formatDate in {{ $formatDate(request.canceledAt) }}, which is not a function in email templates: a send fails there (did you mean "$formatBase"?)';
    expect((error as RecipeLoadError).message.split('\n')).toEqual([
      `${shown(join(folder, 'recipes/decision-notice.recipe.json'))}: steps[2].input.template: step "tell_partner" can send email template "request-denid", ${denid}; there is no email template "request-denid" in ${templates}: a run that reads that row would fail at this step (did you mean "request-denied"?)`,
      `${shown(join(folder, 'recipes/decision-notice.recipe.json'))}: steps[2].input.template: ${canceled}`,
      `${shown(join(folder, 'recipes/decision-reminder.recipe.json'))}: steps[4].input.template: step "remind_partner" can send email template "request-denid", set as $vars.reminder_template by step "remember", ${denid}; there is no email template "request-denid" in ${templates}: a run that reads that row would fail at this step (did you mean "request-denied"?)`,
      `${shown(join(folder, 'recipes/decision-reminder.recipe.json'))}: steps[4].input.template: ${canceled}`,
      `${shown(join(folder, 'recipes/received-notice.recipe.json'))}: steps[2].input.template: step "tell_partner" can send email template "request-receved", set as $vars.template_name by step "pick"; there is no email template "request-receved" in ${templates}: a run that sends it would fail at this step (did you mean "request-received"?)`,
    ]);
  });

  it('starts a recipe whose send sits in an if on the lookup that rules out the row naming no template ("n/a", notify false)', async () => {
    const folder = join(fixtures, 'templates-guarded');
    const { connectors } = loadConfig({ EMAIL_TEMPLATES_DIR: join(folder, 'email-templates') }, { mock: true, connectors: CONNECTORS });
    const tables = loadTables(join(folder, 'tables'));
    const recipes = await loadRecipes(join(folder, 'recipes'), { catalog: new ConnectorCatalog(CONNECTORS), tables: tables.names(), tablesDir: join(folder, 'tables'), connectorConfigs: connectors, tableRows: tables });
    expect(recipes.map((r) => r.definition.name)).toEqual(['guarded-decision-notice']);
  });

  it('refuses a recipe whose email template exists but does not parse (a placeholder that does not compile), naming the template and the problem', async () => {
    const templates = mkdtempSync(join(tmpdir(), 'templates-'));
    writeFileSync(join(templates, 'broken.txt'), '---\nsubject: Hello {{ partner.name }}\n---\nHello {{ partner.( }},\n');
    const dir = mkdtempSync(join(tmpdir(), 'recipes-'));
    const steps = [{ id: 'tell', type: 'action', action: 'email.send', input: { to: ['ops@vendor.example'], template: 'broken' } }];
    writeFileSync(join(dir, 'tell.recipe.json'), JSON.stringify({ name: 'tell', version: 1, description: 'tells', trigger: { type: 'webhook', event: 'prm.mdf_request.submitted' }, steps }));
    const { connectors } = loadConfig({ EMAIL_TEMPLATES_DIR: templates }, { mock: true, connectors: CONNECTORS });
    const error = await loadRecipes(dir, { catalog: new ConnectorCatalog(CONNECTORS), tables: [], connectorConfigs: connectors }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecipeLoadError);
    expect((error as RecipeLoadError).message).toMatch(new RegExp(`tell\\.recipe\\.json: steps\\[0\\]\\.input\\.template: email template "broken" cannot be used: .*broken\\.txt:4: \\{\\{ partner\\.\\( \\}\\}: .+`));
  });

  it('refuses a folder that does not exist', async () => {
    const error = await loadError(join(fixtures, 'no-such-folder'));
    expect(error.message).toBe(`${join(fixtures, 'no-such-folder')}: no such folder (RECIPES_DIR)`);
  });
});
