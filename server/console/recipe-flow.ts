import { html } from 'hono/html';
import type { Recipe, Step } from '../../schemas/recipe.ts';
import type { JournalEntry } from '../store/store.ts';
import { statusBadge, type Html } from './console-layout.ts';

/** What the flow shows of a run: its journal by step key, and how to draw one step's entry. */
export interface FlowRun {
  journal: ReadonlyMap<string, JournalEntry>;
  entry(entry: JournalEntry): Html;
}

/**
 * A recipe's steps as a diagram: nested lists in the recipe's order, with `if` branches, `foreach`
 * bodies, `on_timeout` and `on_error` steps under their step. Given a run, each step is keyed as the
 * interpreter keys it (its id, after the foreach items around it: `each[3].send`), the steps the run
 * went through are marked and show their journal entry, and the steps and branches it did not take
 * are dimmed and say so. The recipes page draws the same diagram without a run.
 */
export function recipeFlow(recipe: Recipe, run?: FlowRun): Html {
  return html`<ol class="flow" aria-label="Steps of ${recipe.name}">${steps(recipe.steps, '', run)}</ol>
${
  recipe.on_error
    ? html`<p class="branch${run && taken(recipe.on_error.steps, 'on_error.', run) ? ' taken' : ''}">When the run fails (on_error):</p><ol class="flow">${steps(recipe.on_error.steps, 'on_error.', run)}</ol>`
    : ''
}`;
}

function steps(list: readonly Step[], prefix: string, run: FlowRun | undefined): Html[] {
  return list.map((step) => stepItem(step, prefix, run));
}

/** Whether the run has a journal entry for any of these steps (at this prefix): it went that way. */
function taken(list: readonly Step[], prefix: string, run: FlowRun): boolean {
  return list.some((s) => run.journal.has(prefix + s.id));
}

function stepItem(step: Step, prefix: string, run: FlowRun | undefined): Html {
  const key = prefix + step.id;
  const entry = run?.journal.get(key);
  const mark = run === undefined ? '' : entry ? ' taken' : ' not-taken';
  return html`<li>
<div class="step${mark}" id="step-${key}">
<strong>${step.id}</strong><span class="kind">${what(step)}</span>
${entry ? html` ${statusBadge(entry.status)}` : run ? html` <span class="muted">not run</span>` : ''}
${step.description ? html`<div class="muted">${step.description}</div>` : ''}
${entry && run ? run.entry(entry) : ''}
</div>
${children(step, key, prefix, run)}
</li>`;
}

/** The step's kind and what it works on, in a few words. */
function what(step: Step): string {
  switch (step.type) {
    case 'action':
      return `action ${step.action}`;
    case 'if':
      return `if ${step.condition}`;
    case 'foreach':
      return `foreach ${step.items}`;
    case 'lookup':
      return `lookup in ${step.table}`;
    case 'set':
      return `set ${Object.keys(step.values).join(', ')}`;
    case 'wait':
      return step.until ? `wait until ${step.until}` : `wait ${JSON.stringify(step.for)}`;
    case 'wait_for':
      return step.signal ? `wait for signal ${step.signal}${step.timeout ? `, timeout ${JSON.stringify(step.timeout)}` : ''}` : `wait for event ${step.event?.name}${step.timeout ? `, timeout ${JSON.stringify(step.timeout)}` : ''}`;
    case 'stop':
      return `stop ${step.status ?? 'completed'}${step.reason ? `: ${step.reason}` : ''}`;
  }
}

function branch(label: string, list: readonly Step[] | undefined, prefix: string, run: FlowRun | undefined, chosen?: boolean): Html | string {
  if (!list) return '';
  const isTaken = run === undefined ? undefined : (chosen ?? taken(list, prefix, run));
  const note = isTaken === undefined ? '' : isTaken ? ' (taken)' : ' (not taken)';
  return html`<p class="branch${isTaken ? ' taken' : ''}">${label}${note}</p><ol class="flow">${steps(list, prefix, run)}</ol>`;
}

function children(step: Step, key: string, prefix: string, run: FlowRun | undefined): Html | string {
  switch (step.type) {
    case 'if': {
      const output = run?.journal.get(key)?.output as { branch?: string } | undefined;
      const chosen = run === undefined ? undefined : output?.branch;
      return html`${branch('then', step.then, prefix, run, run ? chosen === 'then' : undefined)}${branch('else', step.else, prefix, run, run ? chosen === 'else' : undefined)}`;
    }
    case 'foreach': {
      const items = run ? iterations(key, run) : [];
      if (items.length === 0) return branch('for each item', step.steps, `${key}[-].`, run, run ? false : undefined);
      return html`${items.map((i) => branch(`item ${i}`, step.steps, `${key}[${i}].`, run, true))}`;
    }
    case 'wait_for':
      return branch('on timeout', step.on_timeout, prefix, run);
    case 'action':
      return typeof step.on_error === 'object' ? branch('on error', step.on_error.steps, prefix, run) : '';
    default:
      return '';
  }
}

/** The foreach items the run reached, from the keys of its journal (`each[3].send`). */
function iterations(key: string, run: FlowRun): number[] {
  const found = new Set<number>();
  const start = `${key}[`;
  for (const k of run.journal.keys()) {
    if (!k.startsWith(start)) continue;
    const n = Number(k.slice(start.length, k.indexOf(']', start.length)));
    if (Number.isInteger(n)) found.add(n);
  }
  return [...found].sort((a, b) => a - b);
}
