import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  ActionStep,
  CancelOn,
  Delay,
  ForeachStep,
  IfStep,
  LookupStep,
  OnError,
  PollTrigger,
  Recipe,
  RetryPolicy,
  ScheduleTrigger,
  SetStep,
  Step,
  StopStep,
  TimerTrigger,
  Trigger,
  WaitForStep,
  WaitStep,
  WebhookTrigger,
} from './recipe.ts';
import { Scenario } from './scenario.ts';

/**
 * The JSON Schema files editors read (recipe and scenario files name them in `$schema`), generated
 * from the zod schemas by zod 4's own `z.toJSONSchema`: the zod schemas stay the single source.
 * `io: 'input'` describes what a file may contain, so fields with a default are optional.
 * `partnerflow schema --write` regenerates the files; a test fails when they are stale.
 */

type JsonSchema = Record<string, unknown>;

/** The generated files, relative to the repository root. */
export const JSON_SCHEMA_FILES = {
  recipe: 'schemas/json/recipe.schema.json',
  scenario: 'schemas/json/scenario.schema.json',
} as const;

/**
 * The repository root, so that the files are found whatever the working directory: the nearest folder
 * above this module with a package.json. Not a fixed number of `..`: compiled, this module sits in a
 * chunk under dist/build-…/chunks/, not in schemas/.
 */
export const REPOSITORY_ROOT = packageRoot(dirname(fileURLToPath(import.meta.url)));

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/**
 * Names for the `$defs` of the recipe schema. Steps nest (an `if` holds steps), so the schema refers
 * to itself; named definitions make that recursion, and each step kind, readable in an editor's hover
 * rather than `__schema0`.
 */
const RECIPE_DEFINITIONS: Array<[z.ZodType, string]> = [
  [Trigger, 'Trigger'],
  [WebhookTrigger, 'WebhookTrigger'],
  [PollTrigger, 'PollTrigger'],
  [ScheduleTrigger, 'ScheduleTrigger'],
  [TimerTrigger, 'TimerTrigger'],
  [CancelOn, 'CancelOn'],
  // `Steps` is not exported; `then` of an if step is that very schema.
  [IfStep.shape.then as z.ZodType, 'Steps'],
  [Step, 'Step'],
  [ActionStep, 'ActionStep'],
  [IfStep, 'IfStep'],
  [ForeachStep, 'ForeachStep'],
  [LookupStep, 'LookupStep'],
  [SetStep, 'SetStep'],
  [WaitStep, 'WaitStep'],
  [WaitForStep, 'WaitForStep'],
  [StopStep, 'StopStep'],
  [RetryPolicy, 'RetryPolicy'],
  [OnError, 'OnError'],
  [Delay, 'Delay'],
];

/** The JSON Schema of `*.recipe.json` files. */
export function recipeJsonSchema(): JsonSchema {
  return generate(Recipe, {
    title: 'Partnerflow recipe',
    description: 'A trigger, then steps. Strings written {% … %} are JSONata expressions evaluated at run time.',
    names: new Map(RECIPE_DEFINITIONS),
  });
}

/** The JSON Schema of `*.scenario.json` files. */
export function scenarioJsonSchema(): JsonSchema {
  return generate(Scenario, {
    title: 'Partnerflow scenario',
    description: 'Seeds the simulated systems, delivers events, clicks links, moves the clock and expects emails, records and runs.',
    names: new Map(),
  });
}

/** Each generated file (relative path) with the text it should hold. */
export function jsonSchemaFiles(): Array<{ path: string; text: string }> {
  return [
    { path: JSON_SCHEMA_FILES.recipe, text: toText(recipeJsonSchema()) },
    { path: JSON_SCHEMA_FILES.scenario, text: toText(scenarioJsonSchema()) },
  ];
}

function toText(schema: JsonSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

function generate(schema: z.ZodType, options: { title: string; description: string; names: Map<z.ZodType, string> }): JsonSchema {
  const { $schema, ...body } = z.toJSONSchema(schema, {
    io: 'input',
    // Mappings are z.unknown(); nothing else should be unrepresentable, but a future field must not
    // break generation: it becomes "any value", which is what an editor can say about it.
    unrepresentable: 'any',
    cycles: 'ref',
    reused: 'inline',
    metadata: new NamedDefinitions(options.names),
  }) as JsonSchema;
  return { $schema, title: options.title, description: options.description, ...body };
}

/**
 * The global registry (which holds every `.describe()` text) plus ids for the named definitions.
 * `z.toJSONSchema` takes one registry; passing a fresh one alone would drop the descriptions.
 */
class NamedDefinitions extends z.core.$ZodRegistry<z.core.GlobalMeta> {
  constructor(readonly names: ReadonlyMap<z.ZodType, string>) {
    super();
  }

  override get(schema: z.core.$ZodType): z.core.GlobalMeta | undefined {
    const meta = z.globalRegistry.get(schema);
    const id = this.names.get(schema as z.ZodType);
    return id === undefined ? meta : { ...meta, id };
  }
}
