import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The `partnerflow` binary as a user runs it: the compiled CLI (bin/build-cli.js), exit codes, and a
 * TypeScript recipe, which the compiled CLI loads through tsx on demand.
 */
const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'partnerflow-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A folder of the test's own under `work`, so that no test sees another's files. */
function folder(name: string): string {
  const path = join(work, name);
  mkdirSync(path);
  return path;
}

function partnerflow(...args: string[]) {
  return partnerflowIn(root, ...args);
}

function partnerflowIn(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [join(root, 'bin/partnerflow.js'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent' }, timeout: 60_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe('partnerflow (the binary)', () => {
  it('validates a TypeScript recipe written with the builder', () => {
    const builder = join(root, 'schemas/recipe-builder.ts');
    const dir = folder('ts-recipe');
    // TS recipes live in an ESM package, as in this repository.
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
    writeFileSync(
      join(dir, 'notify.recipe.ts'),
      `import { action, defineRecipe, expr } from ${JSON.stringify(builder)};
export default defineRecipe({
  name: 'notify-on-cancel',
  version: 1,
  description: 'D12: tells the partner when a request is canceled.',
  trigger: { type: 'webhook', event: 'prm.mdf_request.status_changed', filter: expr("data.status = 'Canceled'") },
  steps: [action('request', 'prm.get_mdf_request', { mdf_number: expr('$trigger.data.mdfNumber') })],
});
`,
    );
    const { code, out } = partnerflow('validate', dir);
    expect(out).toContain('notify.recipe.ts');
    expect(out).toContain('1 recipe valid, 0 with problems');
    expect(code).toBe(0);
  });

  it('names the file and JSON path of a broken recipe and exits 1', () => {
    const dir = folder('broken-recipe');
    writeFileSync(
      join(dir, 'broken.recipe.json'),
      JSON.stringify({ name: 'broken-one', version: 1, description: 'x', trigger: { type: 'webhook', event: 'prm.mdf_request.submitted' }, steps: [{ id: 'a', type: 'action', action: 'prm.no_such_action' }] }),
    );
    const { code, out } = partnerflow('validate', join(dir, 'broken.recipe.json'));
    expect(out).toMatch(/broken\.recipe\.json: steps\[0\]\.action: .*prm\.no_such_action/);
    expect(code).toBe(1);
  });

  it('runs one recipe once with the shipped example event against the simulated systems, prints its journal with ISO times, and says it is left waiting (exit 3)', () => {
    const event = join(root, 'recipes/mdf-requests/examples/mdf-request-submitted.event.json');
    const { code, out, err } = partnerflow('run', 'mdf-request-approval', '--event', event, '--mock');
    const printed = JSON.parse(out) as { run: { status: string; createdAt: unknown; wakeAt: unknown }; journal: Array<{ stepKey: string; status: string; startedAt: unknown }> };
    expect(printed.run.status).toBe('waiting');
    expect(printed.run.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(printed.journal[0]!.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(printed.journal).toContainEqual(expect.objectContaining({ stepKey: 'confirm_receipt', status: 'completed' }));
    expect(printed.journal).toContainEqual(expect.objectContaining({ stepKey: 'decision', status: 'waiting' }));
    // D8, D10: the approval went to the EMEA CMM; the run waits for the decision until the escalation.
    expect(err).toMatch(/is left waiting: waiting at step decision for the signal "decision" \(approval link emailed to cmm\.emea@vendor\.example\) until \d{4}-\d\d-\d\dT[\d:.]+Z \(then, on timeout: request_at_deadline, remind_approver, escalate, decision_escalated \(as their conditions hold\)\)/);
    expect(err).toContain('In mock mode nothing else will happen after this command exits');
    expect(code).toBe(3);
  });

  it('runs a recipe given by the path of its file under RECIPES_DIR, as a shell completes it', () => {
    const event = join(root, 'recipes/mdf-requests/examples/mdf-request-submitted.event.json');
    const { code, out } = partnerflow('run', 'recipes/mdf-requests/mdf-request-approval.recipe.json', '--event', event, '--mock');
    expect((JSON.parse(out) as { run: { recipe: string; status: string } }).run).toMatchObject({ recipe: 'mdf-request-approval', status: 'waiting' });
    expect(code).toBe(3);
  });

  it('refuses a recipe file outside RECIPES_DIR, naming the folder the runtime reads and how to run that recipe (exit 2)', () => {
    const dir = folder('own-recipes');
    writeFileSync(
      join(dir, 'greet.recipe.json'),
      JSON.stringify({ name: 'greet-partner', version: 1, description: 'd', trigger: { type: 'run' }, steps: [{ id: 'done', type: 'stop' }] }),
    );
    const event = join(dir, 'event.json');
    writeFileSync(event, '{}');
    const { code, err } = partnerflow('run', join(dir, 'greet.recipe.json'), '--event', event, '--mock');
    expect(err).toContain(`partnerflow run: ${join(dir, 'greet.recipe.json')} is not under RECIPES_DIR (${join(root, 'recipes')}), where the runtime reads its recipes; to run "greet-partner": RECIPES_DIR=${dir} partnerflow run greet-partner --event <file>`);
    expect(code).toBe(2);
    const missing = partnerflow('run', join(dir, 'nothing.recipe.json'), '--event', event, '--mock');
    expect(missing.err).toContain(`partnerflow run: ${join(dir, 'nothing.recipe.json')}: no such file; give a recipe's name or the path of its file under RECIPES_DIR (${join(root, 'recipes')})`);
    expect(missing.code).toBe(2);
  });

  it('ships an example event that the recipe and scenario loaders leave alone', () => {
    const { code, out } = partnerflow('validate');
    expect(out).not.toContain('mdf-request-submitted.event.json');
    expect(code).toBe(0);
  });

  it('checks the repository\'s JSON Schema files from any working directory', () => {
    // Compiled, the schema command lives in a chunk under dist/: it must still find the repository.
    const { code, out } = partnerflowIn(folder('elsewhere'), 'schema', '--check');
    expect(out).toContain('✓ schemas/json/recipe.schema.json');
    expect(out).toContain('✓ schemas/json/scenario.schema.json');
    expect(code).toBe(0);
  });

  it('answers an unknown command with its usage and exit code 2, --help with 0', () => {
    const unknown = partnerflow('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command "frobnicate"');
    const help = partnerflow('serve', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: partnerflow serve');
  });

  it('refuses to serve outside mock mode without configuration, naming each variable: the runtime\'s own, then those the recipes\' connectors need', () => {
    const { code, err } = partnerflow('serve', '--port', '0');
    expect(code).toBe(1);
    for (const variable of ['PUBLIC_BASE_URL', 'PARTNERFLOW_API_TOKEN', 'APPROVAL_LINK_SECRET']) expect(err).toContain(variable);
    // A connector's variables are needed only by the recipes that use it: named once the recipes are loaded.
    const own = { PUBLIC_BASE_URL: 'https://partnerflow.acme.test', PARTNERFLOW_API_TOKEN: 'a-token-of-at-least-16-chars', APPROVAL_LINK_SECRET: 'an-approval-link-secret-of-40-characters!', PARTNERFLOW_DB: join(work, 'unconfigured.db') };
    const second = spawnSync(process.execPath, [join(root, 'bin/partnerflow.js'), 'serve', '--port', '0'], { cwd: root, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent', ...own }, timeout: 60_000 });
    expect(second.status).toBe(1);
    for (const variable of ['WEBHOOK_SECRET_PRM', 'PRM_API_KEY', 'SALESFORCE_CLIENT_ID', 'EMAIL_SERVER_TOKEN']) expect(second.stderr).toContain(variable);
    expect(second.stderr).toContain('recipes/mdf-requests/mdf-request-approval.recipe.json: trigger.event uses prm, which is not configured: set PRM_BASE_URL, PRM_API_KEY, PRM_TENANT_ID, WEBHOOK_SECRET_PRM');
    // The lead recipes use Marketo (D20-D22): named with its variables too.
    expect(second.stderr).toMatch(/recipes\/leads\/[a-z-]+\.recipe\.json: \S+ uses marketo( \([a-z_.]+ calls it\))?, which is not configured: set MARKETO_BASE_URL, MARKETO_CLIENT_ID, MARKETO_CLIENT_SECRET/);
  });
});
