import { z } from 'zod';
import { CONNECTORS } from '../../connectors/index.ts';
import type { ActionDefinition } from '../../connectors/kit/define-connector.ts';
import type { Recipe } from '../../schemas/recipe.ts';
import { ConnectorCatalog } from '../engine/connector-registry.ts';
import { walkSteps } from './walk-steps.ts';

/** A table a recipe reads, and where the recipe names it (for a message). */
export interface TableRead {
  table: string;
  path: (string | number)[];
  /** A lookup's read: its `where` names columns of the table. */
  lookup: boolean;
}

/** The shipped connectors: the console names the tables their actions read. */
const SHIPPED = new ConnectorCatalog(CONNECTORS);

/** `$tables.name` or `$tables.'name-with-dashes'` in a poll trigger's input. */
const TABLES_REFERENCE = /\$tables\.(?:'([^']+)'|"([^"]+)"|`([^`]+)`|([A-Za-z_]\w*))/g;

/**
 * Every table a recipe reads, where it names it: its `lookup` steps (nested steps included), an action
 * that reads a table (`tableInput`: the table its input names, or its default), the offsets table of a
 * `timer` trigger, and the tables a `poll` trigger's input reads as `$tables.<name>`. A table named by
 * an expression is known only at run time and is left out.
 */
export function tableReadsOf(recipe: Recipe, catalog: ConnectorCatalog = SHIPPED): TableRead[] {
  const reads: TableRead[] = [];
  for (const { step, path } of walkSteps(recipe)) {
    if (step.type === 'lookup') reads.push({ table: step.table, path: [...path, 'table'], lookup: true });
    if (step.type !== 'action') continue;
    const action = catalog.actionDefinition(step.action);
    if (!action?.tableInput) continue;
    const table = tableOfInput(action, (step.input as Record<string, unknown> | undefined)?.[action.tableInput]);
    if (table !== undefined) reads.push({ table, path: [...path, 'input', action.tableInput], lookup: false });
  }
  const { trigger } = recipe;
  if (trigger.type === 'timer' && !Array.isArray(trigger.offsets)) reads.push({ table: trigger.offsets.table, path: ['trigger', 'offsets', 'table'], lookup: false });
  if (trigger.type === 'poll') {
    for (const [key, value] of Object.entries((trigger.input ?? {}) as Record<string, unknown>)) {
      for (const text of stringsIn(value)) {
        for (const match of text.matchAll(TABLES_REFERENCE)) reads.push({ table: match[1] ?? match[2] ?? match[3] ?? match[4]!, path: ['trigger', 'input', key], lookup: false });
      }
    }
  }
  return reads;
}

/** Every string in a mapping value, nested ones included. */
function* stringsIn(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const item of value) yield* stringsIn(item);
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) yield* stringsIn(item);
}

/** The table an action's input names: a plain name as written, else the input schema's default; none for an expression. */
function tableOfInput(action: ActionDefinition, value: unknown): string | undefined {
  if (typeof value === 'string') return value.includes('{%') ? undefined : value;
  if (value !== undefined) return undefined;
  const field = action.input instanceof z.ZodObject ? (action.input.shape as Record<string, z.ZodType>)[action.tableInput!] : undefined;
  const fallback = field?.safeParse(undefined);
  return fallback?.success && typeof fallback.data === 'string' ? fallback.data : undefined;
}

/** The tables a recipe reads (tableReadsOf), sorted, each once. The console's recipes page names them. */
export function tablesReadBy(recipe: Recipe, catalog?: ConnectorCatalog): string[] {
  return [...new Set(tableReadsOf(recipe, catalog).map((read) => read.table))].sort();
}
