import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureConsole } from '../../test/support/capture-console.ts';
import { createSchemaCommand, schemaCommand } from './schema-command.ts';

describe('partnerflow schema', () => {
  let output: ReturnType<typeof captureConsole>;
  let root: string;
  beforeEach(() => {
    output = captureConsole();
    root = mkdtempSync(join(tmpdir(), 'schema-'));
  });
  afterEach(() => {
    output.restore();
    rmSync(root, { recursive: true, force: true });
  });

  it('prints the recipe JSON Schema by default, and the scenario one on request', async () => {
    expect(await schemaCommand.run({ values: {}, positionals: [] })).toBe(0);
    const recipe = JSON.parse(output.out.join('\n'));
    expect(recipe.title).toBe('Partnerflow recipe');
    expect(Object.keys(recipe.properties)).toEqual(expect.arrayContaining(['trigger', 'steps']));

    output.out.length = 0;
    expect(await schemaCommand.run({ values: {}, positionals: ['scenario'] })).toBe(0);
    expect(Object.keys(JSON.parse(output.out.join('\n')).properties)).toEqual(expect.arrayContaining(['seed', 'steps']));
  });

  it('writes both files with --write; --check then passes', async () => {
    const command = createSchemaCommand(root);
    expect(await command.run({ values: { write: true }, positionals: [] })).toBe(0);
    expect(output.out).toEqual(['wrote schemas/json/recipe.schema.json', 'wrote schemas/json/scenario.schema.json']);
    expect(JSON.parse(readFileSync(join(root, 'schemas/json/recipe.schema.json'), 'utf8')).title).toBe('Partnerflow recipe');

    output.out.length = 0;
    expect(await command.run({ values: { check: true }, positionals: [] })).toBe(0);
    expect(output.out).toEqual(['✓ schemas/json/recipe.schema.json', '✓ schemas/json/scenario.schema.json']);
  });

  it('--check exits 1 naming each file that is stale or missing', async () => {
    const command = createSchemaCommand(root);
    await command.run({ values: { write: true }, positionals: [] });
    writeFileSync(join(root, 'schemas/json/recipe.schema.json'), '{}\n');
    rmSync(join(root, 'schemas/json/scenario.schema.json'));
    expect(await command.run({ values: { check: true }, positionals: [] })).toBe(1);
    expect(output.err).toEqual([
      'schemas/json/recipe.schema.json: out of date with the zod schemas; run "partnerflow schema --write"',
      'schemas/json/scenario.schema.json: missing; run "partnerflow schema --write"',
    ]);
  });

  it('exits 2 on a kind it does not know, or on --write with --check', async () => {
    expect(await schemaCommand.run({ values: {}, positionals: ['table'] })).toBe(2);
    // Names every object inherits are not kinds either.
    expect(await schemaCommand.run({ values: {}, positionals: ['toString'] })).toBe(2);
    expect(await schemaCommand.run({ values: { write: true, check: true }, positionals: [] })).toBe(2);
    expect(output.err[0]).toBe('partnerflow schema: expected at most one of recipe or scenario, and --write or --check');
  });
});
