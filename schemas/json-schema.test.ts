import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonSchemaFiles, recipeJsonSchema, REPOSITORY_ROOT, scenarioJsonSchema } from './json-schema.ts';

type Schema = { $ref?: string; properties?: Record<string, Schema>; required?: string[]; $defs?: Record<string, Schema>; oneOf?: Schema[]; items?: Schema; type?: string };

/** Follows a `#/$defs/<name>` reference inside the same document. */
function resolve(root: Schema, schema: Schema | undefined): Schema {
  if (!schema?.$ref) return schema ?? {};
  const name = schema.$ref.replace('#/$defs/', '');
  return resolve(root, root.$defs?.[name]);
}

describe('JSON Schema files', () => {
  it('are up to date with the zod schemas (run "npm run schema" after changing them)', () => {
    for (const file of jsonSchemaFiles()) {
      expect(readFileSync(join(REPOSITORY_ROOT, file.path), 'utf8'), file.path).toBe(file.text);
    }
  });

  it('describe a recipe: its trigger and its steps, recursively, each step with an id and a type', () => {
    const schema = recipeJsonSchema() as Schema;
    expect(schema.required).toEqual(['name', 'version', 'description', 'trigger', 'steps']);
    const trigger = resolve(schema, schema.properties?.trigger);
    expect(trigger.oneOf?.map((t) => resolve(schema, t).properties?.type)).toEqual([
      { type: 'string', const: 'webhook' },
      { type: 'string', const: 'poll' },
      { type: 'string', const: 'schedule' },
      { type: 'string', const: 'timer' },
      { type: 'string', const: 'run' },
    ]);

    const steps = resolve(schema, schema.properties?.steps);
    expect(steps.type).toBe('array');
    const kinds = resolve(schema, steps.items).oneOf!.map((s) => resolve(schema, s));
    expect(kinds.map((k) => (k.properties?.type as { const?: string }).const)).toEqual(['action', 'if', 'foreach', 'lookup', 'set', 'wait', 'wait_for', 'stop']);
    for (const kind of kinds) {
      expect(kind.properties).toHaveProperty('id');
      expect(kind.required).toEqual(expect.arrayContaining(['id', 'type']));
    }
    // Nested steps refer back to the same step list: the recursion is described, not cut off.
    const ifStep = kinds[1]!;
    expect(resolve(schema, ifStep.properties?.then)).toBe(steps);
    // Every definition has a name an editor can show (zod would call an unnamed cycle "__schema0").
    expect(Object.keys(schema.$defs ?? {}).filter((name) => name.startsWith('__'))).toEqual([]);
  });

  it('leave fields with a default optional, as files may omit them', () => {
    const schema = recipeJsonSchema() as Schema;
    const stop = resolve(schema, schema.$defs?.StopStep);
    expect(stop.required).toEqual(['id', 'type']);
    expect(stop.properties?.status).toMatchObject({ default: 'completed' });
  });

  it('describe a scenario: its seed and its steps', () => {
    const schema = scenarioJsonSchema() as Schema;
    expect(schema.properties).toHaveProperty('seed');
    expect(schema.properties).toHaveProperty('steps');
    expect(schema.required).toEqual(['name', 'steps']);
    expect(Object.keys(schema.properties?.seed?.properties ?? {})).toEqual(['prm', 'marketo', 'salesforce', 'tables', 'calendar']);
  });

  it('are what the shipped recipe and scenario files name in $schema', () => {
    const recipe = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'recipes/mdf-requests/mdf-request-approval.recipe.json'), 'utf8'));
    const scenario = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'recipes/mdf-requests/denied.scenario.json'), 'utf8'));
    expect(join('recipes/mdf-requests', recipe.$schema)).toBe(join('schemas/json/recipe.schema.json'));
    expect(join('recipes/mdf-requests', scenario.$schema)).toBe(join('schemas/json/scenario.schema.json'));
  });
});
