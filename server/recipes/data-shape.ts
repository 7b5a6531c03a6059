import type { z } from 'zod';

/**
 * The first-level fields a value parsed by a zod schema can have, as far as the schema says:
 * `fields` are those it lists; `open` when it lets other keys through (`.loose()`, a catchall), so
 * a field it does not list may still be there. Undefined where the schema does not say (a record,
 * `unknown`, a transform, a lazy or any other kind): nothing can be checked against it.
 */
export interface DataShape {
  fields: ReadonlySet<string>;
  open: boolean;
}

interface Def {
  type?: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  options?: z.ZodType[];
  left?: z.ZodType;
  right?: z.ZodType;
  element?: z.ZodType;
}

const defOf = (schema: z.ZodType | undefined): Def => ((schema as unknown as { _zod?: { def?: Def } } | undefined)?._zod?.def ?? {});

/** Wrappers whose value, when there is one, is the inner schema's. */
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly', 'nonoptional']);

/** The shape of the object a schema parses to (see DataShape), or undefined when it does not say. */
export function dataShape(schema: z.ZodType | undefined, depth = 0): DataShape | undefined {
  if (!schema || depth > 20) return undefined;
  const def = defOf(schema);
  if (def.type && WRAPPERS.has(def.type)) return dataShape(def.innerType, depth + 1);
  // `z.preprocess(f, s)` and `a.pipe(s)`: the value is what the last schema gives; `.transform()` says nothing.
  if (def.type === 'pipe') return defOf(def.out).type === 'transform' ? undefined : dataShape(def.out, depth + 1);
  if (def.type === 'object') {
    const catchall = defOf(def.catchall).type;
    return { fields: new Set(Object.keys(def.shape ?? {})), open: catchall !== undefined && catchall !== 'never' };
  }
  if (def.type === 'union' || def.type === 'intersection') {
    const parts = (def.type === 'union' ? def.options ?? [] : [def.left, def.right]).map((part) => dataShape(part, depth + 1));
    // One part that does not say makes the whole say nothing (its value could have any field).
    if (parts.length === 0 || parts.some((part) => part === undefined)) return undefined;
    return mergeShapes(parts as DataShape[]);
  }
  return undefined;
}

/** The shape of a value that is one of several (several record events): a field any of them has. */
export function mergeShapes(shapes: readonly DataShape[]): DataShape {
  return { fields: new Set(shapes.flatMap((shape) => [...shape.fields])), open: shapes.some((shape) => shape.open) };
}

/** The schema of the elements of the array at `field` of an object schema (a poll page's `items`), or undefined. */
export function arrayElementAt(schema: z.ZodType, field: string): z.ZodType | undefined {
  let def = defOf(schema);
  for (let i = 0; i < 20 && def.type && (WRAPPERS.has(def.type) || def.type === 'pipe'); i++) def = defOf(def.type === 'pipe' ? def.out : def.innerType);
  if (def.type !== 'object') return undefined;
  let items = defOf(def.shape?.[field]);
  for (let i = 0; i < 20 && items.type && WRAPPERS.has(items.type); i++) items = defOf(items.innerType);
  return items.type === 'array' ? items.element : undefined;
}
