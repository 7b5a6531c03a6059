import { z } from 'zod';
import { Scenario } from '../../schemas/scenario.ts';
import { unwrapSchema } from '../recipes/unwrap-schema.ts';

/**
 * The keys the scenario format has for the object at `path` of a scenario file (`[]`: the top,
 * `['steps', 2, 'expect']`: an expect step's), so a misspelt key can be answered with the closest one;
 * undefined where the path leads to no object of the format. A step is a union of one-key objects:
 * the branch is the one whose key the step has (or the path goes through).
 */
export function scenarioKeysAt(path: readonly PropertyKey[], input: unknown): string[] | undefined {
  let schema: z.ZodType = Scenario;
  let value = input;
  for (let i = 0; ; i++) {
    schema = branch(unwrapSchema(schema), path[i], value);
    if (i === path.length) return schema instanceof z.ZodObject ? Object.keys(schema.shape) : undefined;
    const segment = path[i]!;
    value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[segment] : undefined;
    if (schema instanceof z.ZodObject && typeof segment === 'string' && segment in schema.shape) schema = schema.shape[segment] as z.ZodType;
    else if (schema instanceof z.ZodArray && typeof segment === 'number') schema = schema.element as z.ZodType;
    else return undefined;
  }
}

/** The object of a union the value (or the next key of the path) belongs to; any other schema as it is. */
function branch(schema: z.ZodType, next: PropertyKey | undefined, value: unknown): z.ZodType {
  if (!(schema instanceof z.ZodUnion)) return schema;
  const keys = next !== undefined ? [next] : value !== null && typeof value === 'object' ? Object.keys(value) : [];
  const options = (schema.options as z.ZodType[]).map(unwrapSchema);
  return options.find((option) => option instanceof z.ZodObject && keys.some((key) => typeof key === 'string' && key in option.shape)) ?? schema;
}
