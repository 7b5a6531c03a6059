import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScenarioFiles } from '../server/harness/scenario-files.ts';

/**
 * The README's "Writing recipes" example is what a new user copies first: it must work verbatim. It
 * runs here as a recipe of its own (the shipped recipes are not loaded beside it), with the shipped
 * tables and email templates, on the cancellation it is about.
 */
const readme = readFileSync('README.md', 'utf8');
const section = readme.slice(readme.indexOf('\n## Writing recipes'));
const example = /```json\n([\s\S]*?)\n```/.exec(section)![1]!;

const dir = mkdtempSync(join(tmpdir(), 'readme-example-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the README\'s "Writing recipes" example', () => {
  it('tells the partner of a cancellation by name (its template reads partner.name as well as request)', async () => {
    const recipes = join(dir, 'recipes');
    mkdirSync(join(recipes, 'demo'), { recursive: true });
    const recipe = JSON.parse(example) as { name: string };
    writeFileSync(join(recipes, 'demo', `${recipe.name}.recipe.json`), example);
    const scenario = join(recipes, 'demo', 'example.scenario.json');
    writeFileSync(
      scenario,
      JSON.stringify({
        name: 'the README example on a canceled request',
        steps: [
          { update: { mdf_request: 'MDF-1001', set: { status: 'Canceled' } } },
          {
            expect: {
              emails: [{ to: 'marketing@northwind.example', subject: 'MDF-1001 was canceled', body_contains: 'Hello Northwind Cloud team,' }],
              runs: [{ recipe: recipe.name, status: 'completed', count: 1 }],
            },
          },
        ],
      }),
    );
    const [result] = await runScenarioFiles([scenario], { recipesDir: recipes, tablesDir: 'recipes/tables', emailTemplatesDir: 'recipes/email-templates' });
    expect(result!.failures).toEqual([]);
  });
});
