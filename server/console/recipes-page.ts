import { html } from 'hono/html';
import type { Recipe } from '../../schemas/recipe.ts';
import type { RecipeFileCheck } from '../recipes/check-recipe-files.ts';
import type { RecipeStatusCount } from '../store/store.ts';
import { layout, statusBadge, type Html, type PageFrame } from './console-layout.ts';
import { recipeFlow } from './recipe-flow.ts';
import { tablesRead, tablesSection, type TablesShown } from './recipe-tables.ts';
import { RUN_STATUSES } from './runs-page.ts';

/** The first sentence of a recipe's description: what the recipe is for, in its author's words. */
export function purpose(recipe: Recipe | undefined): string {
  if (!recipe) return '';
  const first = (/^.*?[.!?](\s|$)/.exec(recipe.description)?.[0] ?? recipe.description).trim();
  // A description whose first sentence runs on is cut at a word: the recipes page has all of it.
  return first.length <= 160 ? first : `${first.slice(0, first.lastIndexOf(' ', 160))} …`;
}

/** A recipe's trigger in a few words. */
export function triggerSummary(recipe: Recipe): string {
  const t = recipe.trigger;
  switch (t.type) {
    case 'webhook':
      return `webhook ${t.event}${t.filter ? ` when ${t.filter}` : ''}`;
    case 'poll':
      return `poll ${t.action} every ${t.every}`;
    case 'schedule':
      return `schedule ${t.cron} (${t.timezone})`;
    case 'timer':
      return `timer on ${[t.record].flat().join(', ')}: ${Array.isArray(t.offsets) ? t.offsets.map((o) => JSON.stringify(o)).join(', ') : `${t.offsets.table}.${t.offsets.column}`} after ${t.date}`;
    case 'run':
      return 'started by another recipe (runs.start)';
  }
}

export interface RecipesPageData {
  recipes: Array<{ definition: Recipe; file: string }>;
  counts: RecipeStatusCount[];
  /** The recipe files as they are on disk now, checked as `serve` checks them; undefined when not available. */
  onDisk: RecipeFileCheck[] | undefined;
  /** The tables the recipes read, as read at start, and the table files on disk now. */
  tables: TablesShown;
}

function counts(name: string, all: RecipeStatusCount[]): Html {
  const mine = all.filter((c) => c.recipe === name);
  if (mine.length === 0) return html`<span class="muted">no runs</span>`;
  return html`<span class="counts">${RUN_STATUSES.flatMap((s) => {
    const n = mine.find((c) => c.status === s)?.count;
    return n ? [html`<span><a href="/console/runs?recipe=${name}&amp;status=${s}">${n}</a> ${statusBadge(s)}</span>`] : [];
  })}</span>`;
}

/**
 * The recipes this runtime serves (each description's first sentence; its page has all of it), their
 * runs per status of the last 7 days, the tables each reads, and the problems of the recipe and table
 * files as they are on disk.
 */
export function recipesPage(frame: PageFrame, d: RecipesPageData): Html {
  const broken = d.onDisk?.filter((c) => c.problems.length > 0) ?? [];
  return layout(
    'Recipes',
    frame,
    html`<table><thead><tr><th scope="col">Recipe</th><th scope="col">Version</th><th scope="col">Trigger</th><th scope="col">Description</th><th scope="col">Runs, last 7 days</th><th scope="col">Tables read</th></tr></thead><tbody>
${d.recipes.map(
  (r) => html`<tr><td><a href="/console/recipes/${r.definition.name}">${r.definition.name}</a><div class="muted">${r.file}</div></td><td>${r.definition.version}</td><td>${triggerSummary(r.definition)}</td><td>${purpose(r.definition)}</td><td>${counts(r.definition.name, d.counts)}</td><td>${tablesRead(r.definition, d.tables)}</td></tr>`,
)}
</tbody></table>
<h2>Recipe files on disk</h2>
<p class="muted">The runtime refuses to start while a recipe file does not validate, so the recipes above are the ones it started with. Below, the files as they are on disk now, checked as a start would check them: a broken edit shows here before it is deployed.</p>
${
  d.onDisk === undefined
    ? html`<p class="muted">This runtime was given its recipes in code; there are no files to check.</p>`
    : broken.length === 0
      ? html`<p>All ${d.onDisk.length} recipe files validate.</p>`
      : html`<div role="alert"><p class="error-words">${broken.length} of ${d.onDisk.length} recipe files do not validate; a start would be refused:</p>
${broken.map((c) => html`<h3>${c.file}</h3><ul class="problems">${c.problems.map((p) => html`<li>${p.path ? html`<code>${p.path}</code>: ` : ''}${p.message}</li>`)}</ul>`)}</div>`
}
${tablesSection(d.tables)}`,
  );
}

/** One recipe: its facts (the tables it reads as read at start among them) and its steps as a diagram (the flow the run page marks). */
export function recipePage(frame: PageFrame, r: { definition: Recipe; file: string }, all: RecipeStatusCount[], tables: TablesShown): Html {
  const d = r.definition;
  return layout(
    d.name,
    frame,
    html`<dl class="facts"><dt>Version</dt><dd>${d.version}</dd><dt>File</dt><dd>${r.file}</dd><dt>Trigger</dt><dd>${triggerSummary(d)}</dd>
${d.cancel_on ? html`<dt>Canceled by</dt><dd>${d.cancel_on.event}${d.cancel_on.filter ? ` when ${d.cancel_on.filter}` : ''}</dd>` : ''}
<dt>Runs, last 7 days</dt><dd>${counts(d.name, all)}</dd>
<dt>Tables read</dt><dd>${tablesRead(d, tables)} <a href="/console/recipes#tables">the table files on disk now</a></dd></dl>
<p>${d.description}</p>
<h2>Steps</h2>
${recipeFlow(d)}`,
  );
}
