import { z } from 'zod';
import { unwrapSchema } from './unwrap-schema.ts';

/**
 * The keys a document format (`root`: the recipe or the scenario schema) has for the object at `path`
 * of a document (`[]`: the top, `['steps', 2]`: a step), so that a misspelt key can be answered with
 * the closest one; undefined where the path leads to no object of the format. Of a union, the branch
 * is the object whose literal field the value has (a step's or a trigger's `type`), else the one whose
 * key the value has or the path goes through (a scenario step: one-key objects), or its only object.
 */
export function schemaKeysAt(root: z.ZodType, path: readonly PropertyKey[], input: unknown): string[] | undefined {
  let schema = root;
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
  const objects = (schema.options as z.ZodType[]).map(unwrapSchema).filter((option): option is z.ZodObject => option instanceof z.ZodObject);
  const fields = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  const byLiteral = objects.find((option) =>
    Object.entries(option.shape).some(([key, field]) => {
      const literal = unwrapSchema(field as z.ZodType);
      return literal instanceof z.ZodLiteral && key in fields && literal.values.has(fields[key] as never);
    }),
  );
  if (byLiteral) return byLiteral;
  const keys = next !== undefined ? [next] : Object.keys(fields);
  // Of a union with one object (a delay: an expression or { business_days }), that object.
  return objects.find((option) => keys.some((key) => typeof key === 'string' && key in option.shape)) ?? (objects.length === 1 ? objects[0]! : schema);
}
