import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { jsonSchemaFiles, recipeJsonSchema, REPOSITORY_ROOT, scenarioJsonSchema } from '../../schemas/json-schema.ts';
import type { Command } from './main.ts';

const USAGE = `Usage: partnerflow schema [recipe|scenario] [--write | --check]

Prints the JSON Schema of recipe files (default) or scenario files, generated from the zod schemas.
  --write   write schemas/json/recipe.schema.json and schemas/json/scenario.schema.json
            (recipe and scenario files name them in "$schema", so editors autocomplete them)
  --check   exit 1 when the files on disk differ from what --write would write (for CI)`;

const PRINTERS = { recipe: recipeJsonSchema, scenario: scenarioJsonSchema } as const;

/** Builds `partnerflow schema` over a folder holding `schemas/json/`; tests use a temporary one. */
export function createSchemaCommand(root: string): Command {
  return {
    usage: USAGE,
    options: { write: { type: 'boolean' }, check: { type: 'boolean' } },
    async run({ values, positionals }) {
      const [kind = 'recipe', ...extra] = positionals;
      if (!Object.hasOwn(PRINTERS, kind) || extra.length > 0 || (values.write && values.check)) {
        console.error(`partnerflow schema: expected at most one of recipe or scenario, and --write or --check\n\n${USAGE}`);
        return 2;
      }
      if (values.write) {
        for (const file of jsonSchemaFiles()) {
          const path = join(root, file.path);
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, file.text);
          console.log(`wrote ${file.path}`);
        }
        return 0;
      }
      if (values.check) {
        let stale = 0;
        for (const file of jsonSchemaFiles()) {
          const path = join(root, file.path);
          const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
          if (current === file.text) {
            console.log(`✓ ${file.path}`);
            continue;
          }
          stale++;
          console.error(`${file.path}: ${current === undefined ? 'missing' : 'out of date with the zod schemas'}; run "partnerflow schema --write"`);
        }
        return stale === 0 ? 0 : 1;
      }
      console.log(JSON.stringify(PRINTERS[kind as keyof typeof PRINTERS](), null, 2));
      return 0;
    },
  };
}

/** `partnerflow schema`: prints, writes or checks the repository's JSON Schema files. */
export const schemaCommand: Command = createSchemaCommand(REPOSITORY_ROOT);
