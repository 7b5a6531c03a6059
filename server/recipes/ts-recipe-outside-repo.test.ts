import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * A `.recipe.ts` in a recipes folder of one's own (RECIPES_DIR outside this repository), through the
 * compiled CLI as a user runs it: Node takes a `.ts` file outside a `"type": "module"` package for
 * CommonJS, and its own message blamed its internals.
 */
const root = resolve(import.meta.dirname, '../..');

function validate(recipesDir: string) {
  const result = spawnSync(process.execPath, [join(root, 'bin/partnerflow.js'), 'validate'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, RECIPES_DIR: recipesDir, TABLES_DIR: join(root, 'recipes/tables'), LOG_LEVEL: 'silent' },
    timeout: 90_000,
  });
  return { code: result.status, out: `${result.stdout}${result.stderr}` };
}

describe('a TypeScript recipe outside the repository', () => {
  it('says what to do when its folder is not an ES module package, and loads once it is', () => {
    const recipes = mkdtempSync(join(tmpdir(), 'own-recipes-'));
    mkdirSync(join(recipes, 'demo'));
    const recipe = `export default {
  name: 'mdf-request-read', version: 1, description: 'reads the request',
  trigger: { type: 'webhook', event: 'prm.mdf_request.submitted' },
  steps: [{ id: 'request', type: 'action', action: 'prm.get_mdf_request', input: { mdf_number: '{% $trigger.data.mdfNumber %}' } }],
};
`;
    writeFileSync(join(recipes, 'demo', 'mdf-request-read.recipe.ts'), recipe);
    const refused = validate(recipes);
    expect(refused.out).toContain(
      'cannot be imported: Node takes it for CommonJS, but a .recipe.ts is an ES module (export default): put a package.json with {"type": "module"} in the recipes folder (or a folder above it)',
    );
    expect(refused.code).toBe(1);

    writeFileSync(join(recipes, 'package.json'), '{"type": "module"}\n');
    const loaded = validate(recipes);
    expect(loaded.out).toContain('1 recipe valid, 0 with problems');
    expect(loaded.code).toBe(0);
  }, 120_000);
});
