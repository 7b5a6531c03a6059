import { z } from 'zod';
import { formatPath } from '../../schemas/format-issues.ts';
import { expressionsIn, isExpression } from '../engine/expression.ts';
import { didYouMean } from './closest-name.ts';
import type { Finding } from './recipe-problem.ts';
import { unwrapSchema as unwrap } from './unwrap-schema.ts';

/**
 * Checks an action step's input mapping against the action's zod input schema before any run, so a
 * typo in a field name or a literal the system would refuse fails `validate`, not a run a week later.
 *
 * Values written `{% … %}` are unknown until run time and pass. Literal values are checked against
 * their field's schema; a required field missing from the mapping and a field the schema does not have
 * are errors; nested object literals are walked when their field is itself an object schema. Where the
 * schema is not an object (a union, a record) the check is lenient: a literal is checked whole only when
 * it holds no expression.
 *
 * @param input the step's `input` (`{}` when the step has none, as the interpreter does)
 * @param action the qualified action name, used in messages
 * @param path the JSON path of `input` in the recipe
 */
export function checkActionInput(input: unknown, schema: z.ZodType, action: string, path: readonly PropertyKey[]): Finding[] {
  return checkValue(input, schema, { action, base: path, relative: [] });
}

interface Where {
  action: string;
  /** Path of the step's `input` in the recipe. */
  base: readonly PropertyKey[];
  /** Path of the value inside `input`. */
  relative: readonly PropertyKey[];
}

function checkValue(value: unknown, schema: z.ZodType, where: Where): Finding[] {
  if (isExpression(value)) return [];
  const inner = unwrap(schema);
  if (isPlainObject(value) && inner instanceof z.ZodObject) {
    const findings = checkObject(value, inner, where);
    // Object-level refinements can only be judged on the whole literal.
    return findings.length === 0 && !hasExpression(value) ? parseLiteral(value, schema, where) : findings;
  }
  if (!hasExpression(value)) return parseLiteral(value, schema, where);
  if (Array.isArray(value) && inner instanceof z.ZodArray) {
    const element = inner.element as z.ZodType;
    return value.flatMap((item, index) => checkValue(item, element, { ...where, relative: [...where.relative, index] }));
  }
  return [];
}

function checkObject(value: Record<string, unknown>, schema: z.ZodObject, where: Where): Finding[] {
  const findings: Finding[] = [];
  const shape = schema.shape as Record<string, z.ZodType>;
  for (const [key, field] of Object.entries(shape)) {
    const at = { ...where, relative: [...where.relative, key] };
    if (value[key] === undefined) {
      if (isRequired(key, field)) findings.push({ path: [...where.base, ...at.relative], message: `required by ${where.action} but missing` });
    } else findings.push(...checkValue(value[key], field, at));
  }
  const catchall = schema.def.catchall as z.ZodType | undefined;
  for (const key of Object.keys(value)) {
    if (key in shape) continue;
    const at = { ...where, relative: [...where.relative, key] };
    if (catchall && !(catchall instanceof z.ZodNever)) {
      findings.push(...checkValue(value[key], catchall, at));
      continue;
    }
    // Zod would drop (or refuse) the key at run time: almost always a misspelt field name.
    findings.push({
      path: [...where.base, ...at.relative],
      message: `${where.action} has no input field "${formatPath(at.relative)}"${didYouMean(key, Object.keys(shape))}`,
    });
  }
  return findings;
}

/** Whether zod requires the key in an object, asked of zod itself (z.unknown() keys are required in zod 4). */
function isRequired(key: string, field: z.ZodType): boolean {
  return !z.object({ [key]: field }).safeParse({}).success;
}

function parseLiteral(value: unknown, schema: z.ZodType, where: Where): Finding[] {
  let result;
  try {
    result = schema.safeParse(value);
  } catch {
    return []; // async refinements cannot run here; the run checks them
  }
  if (result.success) return [];
  return result.error.issues.map((issue) => ({ path: [...where.base, ...where.relative, ...issue.path], message: issue.message }));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function hasExpression(value: unknown): boolean {
  return !expressionsIn(value).next().done;
}
