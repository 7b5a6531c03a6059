import type { Recipe } from '../../schemas/recipe.ts';
import type { ConnectorCatalog } from '../engine/connector-registry.ts';
import { expressionsIn } from '../engine/expression.ts';
import { closestName, nearMiss } from './closest-name.ts';
import { arrayElementAt, dataShape, mergeShapes, type DataShape } from './data-shape.ts';
import { eventDataFieldsRead, stepFieldsRead, triggerDataFieldsRead } from './event-data-reads.ts';
import type { Tables } from '../engine/tables.ts';
import type { Finding } from './recipe-problem.ts';
import { walkSteps } from './walk-steps.ts';

/** What a trigger's expression reads as `data`, as messages name it, and what it can hold. */
interface DataSource {
  /** `the data of prm.mdf_request.submitted`, `the items of salesforce.list_changed_fund_records`. */
  subject: string;
  verb: 'has' | 'have';
  /** `event`, `item`: what each evaluation is for. */
  each: string;
  shape: DataShape;
}

/**
 * The first-level fields a trigger's or `cancel_on`'s expressions read from the event's data
 * (`data.<field>`, `$trigger.data.<field>`; event-data-reads.ts) must be fields that data can hold:
 * a webhook trigger's and `cancel_on`'s against their event's data schema (the one the webhook
 * intake validates deliveries against), a timer's against its record events' (and each `stop_on`'s
 * against its event's), a poll trigger's cursor and dedup_key against the items of its action's
 * output. A field typo reads undefined for every event; behind a prefix (`'new-request:' &
 * data.mdfNumbr`) a key is then the same for every event, and every later event joins the first run.
 *
 * Where a schema lets fields through that it does not list (the PRM's records are `.loose()`: an
 * instance's custom `__cf` fields and others the PRM keeps), a field it does not list is refused only
 * when it is plainly a slip of one it lists (the same letters in another case, or one edit away):
 * any other name may be one of those fields. A schema that says nothing of its fields (a record,
 * unknown) is not checked.
 */
export function checkDataFields(recipe: Recipe, catalog: ConnectorCatalog): Finding[] {
  const findings: Finding[] = [];
  const sources = new Map<string, DataSource | undefined>();
  const sourceAt = (path: readonly (string | number)[]): DataSource | undefined => {
    const key = sourceKey(recipe, path);
    if (key === undefined) return undefined;
    if (!sources.has(key)) sources.set(key, dataSource(key, catalog));
    return sources.get(key);
  };
  const expressions = [...expressionsIn(recipe.trigger, ['trigger']), ...(recipe.cancel_on ? expressionsIn(recipe.cancel_on, ['cancel_on']) : [])];
  for (const { source, path } of expressions) {
    const data = sourceAt(path);
    if (!data) continue;
    for (const field of eventDataFieldsRead(source)) {
      const slip = unknownField(field, data.shape);
      if (slip !== undefined) findings.push({ path, message: `reads data.${field}, but ${data.subject} ${data.verb} no field "${field}"${slip}; it is undefined for every ${data.each}` });
    }
  }
  return findings;
}

/**
 * The same for the steps' expressions (on_error's included): the fields they read of the trigger's data
 * (`trigger.data.<field>`, `$trigger.data.<field>`; event-data-reads.ts) must be fields it can hold: a
 * webhook's event data, a poll's item, what a timer or a schedule gives its runs. A typo there reads
 * undefined in every run: an action's input refuses it at the first run, or a condition is never true.
 * A run trigger's data is another recipe's input, which no schema describes: not checked.
 */
export function checkStepTriggerFields(recipe: Recipe, catalog: ConnectorCatalog): Finding[] {
  const data = runTriggerData(recipe, catalog);
  if (!data) return [];
  const findings: Finding[] = [];
  for (const { source, path } of expressionsIn(recipe)) {
    if (path[0] !== 'steps' && path[0] !== 'on_error') continue;
    for (const field of triggerDataFieldsRead(source)) {
      const slip = unknownField(field, data.shape);
      if (slip !== undefined) findings.push({ path, message: `reads trigger.data.${field}, but ${data.subject} ${data.verb} no field "${field}"${slip}; it is undefined in every run` });
    }
  }
  return findings;
}

/** What a run's `trigger.data` holds, by the recipe's trigger. */
function runTriggerData(recipe: Recipe, catalog: ConnectorCatalog): DataSource | undefined {
  const { trigger } = recipe;
  if (trigger.type === 'webhook') return dataSource(`event:${trigger.event}`, catalog);
  if (trigger.type === 'poll') return dataSource(`poll:${trigger.action}`, catalog);
  const closed = (subject: string, fields: string[]): DataSource => ({ subject, verb: 'has', each: 'run', shape: { fields: new Set(fields), open: false } });
  // business-timers.ts: the record's events' data is `record`.
  if (trigger.type === 'timer') return closed("a timer run's trigger data", ['key', 'date', 'offset', 'due_at', 'record']);
  if (trigger.type === 'schedule') return closed("a schedule run's trigger data", ['scheduled_at', 'previous_scheduled_at']);
  return undefined;
}

/**
 * Undefined when `field` may be in `shape`; else the hint a finding ends with: the field meant, or the
 * fields there are. A field an open schema does not list may be there (a custom field): only a plain
 * slip of one it lists is refused.
 */
function unknownField(field: string, shape: DataShape, noun: 'field' | 'column' = 'field'): string | undefined {
  if (shape.fields.has(field)) return undefined;
  const meant = nearMiss(field, shape.fields) ?? (shape.open ? undefined : closestName(field, shape.fields));
  if (shape.open && meant === undefined) return undefined;
  return meant !== undefined ? ` (did you mean "${meant}"?)` : ` (its ${noun}s: ${[...shape.fields].join(', ')})`;
}

/**
 * Which data an expression at `path` reads, as a key: `event:<name>[,<name>]` or `poll:<action>`;
 * undefined where it reads none the connectors describe (a poll's own input, a schedule, a run trigger).
 */
function sourceKey(recipe: Recipe, path: readonly (string | number)[]): string | undefined {
  const { trigger } = recipe;
  if (path[0] === 'cancel_on') return recipe.cancel_on ? `event:${recipe.cancel_on.event}` : undefined;
  if (trigger.type === 'webhook') return `event:${trigger.event}`;
  if (trigger.type === 'poll') return path[1] === 'input' ? undefined : `poll:${trigger.action}`;
  if (trigger.type === 'timer') {
    if (path[1] === 'offsets') return undefined;
    if (path[1] === 'stop_on') {
      const stop = trigger.stop_on?.[path[2] as number];
      return stop ? `event:${stop.event}` : undefined;
    }
    return `event:${(typeof trigger.record === 'string' ? [trigger.record] : trigger.record).join(',')}`;
  }
  return undefined;
}

function dataSource(key: string, catalog: ConnectorCatalog): DataSource | undefined {
  const [kind, names] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
  if (kind === 'poll') {
    const output = catalog.actionDefinition(names)?.output;
    const item = output && arrayElementAt(output, 'items');
    const shape = item && dataShape(item);
    return shape && { subject: `the items of ${names}`, verb: 'have', each: 'item', shape };
  }
  const events = names.split(',');
  const shapes = events.map((name) => dataShape(catalog.eventDefinition(name)?.data));
  // An unknown event is named by the connector check; an event whose data says nothing is not checked.
  if (shapes.some((shape) => shape === undefined)) return undefined;
  return { subject: `the data of ${events.join(' and ')}`, verb: 'has', each: 'event', shape: mergeShapes(shapes as DataShape[]) };
}

/**
 * The fields expressions read of an action step's result (`$steps.<id>.<field>`) must be fields the
 * action's output can hold (its output schema: the runtime parses every answer with it), as for the
 * event's data above: any field a closed output does not list is refused, a plain slip only of an open
 * one (the PRM's records). A step whose failure a recipe handles (`on_error` other than fail) has
 * `error` as its result then. A lookup's result is checked against the columns its table's rows have
 * (`tableRows`: the rows on disk; a table without rows says nothing). Other steps (set, wait_for,
 * foreach, if) are not checked.
 */
export function checkStepOutputFields(recipe: Recipe, catalog: ConnectorCatalog, tableRows?: Pick<Tables, 'rows'>): Finding[] {
  const outputs = new Map<string, { subject: string; noun: 'field' | 'column'; shape: DataShape }>();
  for (const { step } of walkSteps(recipe)) {
    if (step.type === 'lookup') {
      // A lookup's result is a row of its table (or, mode all, the rows: a path over them reads each row's column).
      const rows = tableRows?.rows(step.table);
      if (rows && rows.length > 0) outputs.set(step.id, { subject: `table ${step.table}`, noun: 'column', shape: { fields: new Set(rows.flatMap((row) => Object.keys(row))), open: false } });
      continue;
    }
    if (step.type !== 'action') continue;
    const shape = dataShape(catalog.actionDefinition(step.action)?.output);
    if (!shape) continue;
    const handled = step.on_error !== undefined && step.on_error !== 'fail';
    outputs.set(step.id, { subject: `the output of ${step.action}`, noun: 'field', shape: handled ? { fields: new Set([...shape.fields, 'error']), open: shape.open } : shape });
  }
  const findings: Finding[] = [];
  if (outputs.size === 0) return findings;
  for (const { source, path } of expressionsIn(recipe)) {
    for (const { id, field } of stepFieldsRead(source)) {
      const output = outputs.get(id);
      const slip = output && unknownField(field, output.shape, output.noun);
      if (slip !== undefined) findings.push({ path, message: `reads steps.${id}.${field}, but ${output!.subject} has no ${output!.noun} "${field}"${slip}; it is undefined in every run` });
    }
  }
  return findings;
}
