import { html } from 'hono/html';
import type { Run, RunSummary } from '../store/store.ts';
import { duration, layout, statusBadge, time, type Html, type PageFrame } from './console-layout.ts';
import { runWaitWords, type RunWaits } from './wait-words.ts';

export const RUN_STATUSES = ['queued', 'running', 'waiting', 'completed', 'failed', 'canceled'] as const;

/** The runs page's filters, as in its query string. */
export interface RunFilters {
  recipe?: string | undefined;
  status?: string | undefined;
  key?: string | undefined;
}

export interface RunsPageData {
  runs: RunSummary[];
  waits: Map<string, RunWaits>;
  nextBefore: string | null;
  /** Whether this page is not the first (a cursor was given): a link back to the newest. */
  paged: boolean;
  filters: RunFilters;
  recipes: string[];
  now: number;
}

/** The trigger of a run in a few words: its type and event or source. */
export function triggerWords(run: Pick<Run | RunSummary, 'trigger'>): string {
  const t = run.trigger;
  return [t.type, t.event].filter(Boolean).join(' ');
}

/** How long the run took, or has been going. */
export function runDuration(run: Pick<Run, 'finishedAt' | 'createdAt'>, now: number): string {
  return run.finishedAt !== null ? duration(run.finishedAt - run.createdAt) : `${duration(now - run.createdAt)} so far`;
}

/** The runs page's query string for these filters (and cursor): `?recipe=…&status=…`, or empty. */
export function runsQueryString(filters: RunFilters, before?: string): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value) params.set(name, value);
  if (before) params.set('before', before);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * Runs, newest first: filters by recipe, status and business key, and an "older" link with the last
 * id of the page as cursor (keyset paging, no count). The same store query as `GET /runs`.
 */
export function runsPage(frame: PageFrame, d: RunsPageData): Html {
  const f = d.filters;
  return layout(
    'Runs',
    frame,
    html`<form class="filters" method="get" action="/console/runs" role="search" aria-label="Filter runs">
<label>Recipe <select name="recipe"><option value="">any</option>${d.recipes.map((r) => html`<option${r === f.recipe ? html` selected` : ''}>${r}</option>`)}</select></label>
<label>Status <select name="status"><option value="">any</option>${RUN_STATUSES.map((s) => html`<option${s === f.status ? html` selected` : ''}>${s}</option>`)}</select></label>
<label>Business key <input name="key" value="${f.key ?? ''}" placeholder="MDF-1001, a claim, a lead" size="24"></label>
<button type="submit" class="primary">Filter</button>
${f.recipe || f.status || f.key ? html`<a href="/console/runs">Clear filters</a>` : ''}
</form>
${
  d.runs.length === 0
    ? html`<p>No runs${f.recipe || f.status || f.key ? ' match these filters' : ' yet'}.</p>`
    : html`<table>
<caption class="muted">Newest first${d.paged ? ', an older page' : ''}</caption>
<thead><tr><th scope="col">Run</th><th scope="col">Recipe</th><th scope="col">Status</th><th scope="col">Business key</th><th scope="col">Trigger</th><th scope="col">Started</th><th scope="col">Duration</th><th scope="col">Waits for</th></tr></thead>
<tbody>
${d.runs.map(
  (run) => html`<tr>
<td><a href="/console/runs/${run.id}">${run.id}</a></td>
<td>${run.recipe} <span class="muted">v${run.recipeVersion}</span></td>
<td>${statusBadge(run.status)}${run.error ? html`<div class="error-words">${run.error.message}</div>` : ''}</td>
<td>${run.correlationKey ?? '–'}</td>
<td>${triggerWords(run)}</td>
<td>${time(run.createdAt)}</td>
<td>${runDuration(run, d.now)}</td>
<td>${runWaitWords(run, d.waits.get(run.id) ?? { waiting: [], retrying: [] }, d.now)}</td>
</tr>`,
)}
</tbody>
</table>`
}
<nav class="actions" aria-label="Pages of runs">
${d.paged ? html`<a href="/console/runs${runsQueryString(f)}">Newest</a>` : ''}
${d.nextBefore ? html`<a href="/console/runs${runsQueryString(f, d.nextBefore)}" rel="next">Older runs</a>` : ''}
</nav>`,
  );
}
