import { html } from 'hono/html';
import type { Recipe } from '../../schemas/recipe.ts';
import { redact } from '../engine/redact.ts';
import { cancelRefusalOf } from '../engine/cancel-refusals.ts';
import { retryRefusalOf } from '../store/retry-refusal.ts';
import { FINISHED_STATUSES, STOPPED_BY_RECIPE, type JournalEntry, type Run } from '../store/store.ts';
import { csrfField, duration, jsonBlock, layout, notice, statusBadge, time, type Html, type PageFrame } from './console-layout.ts';
import { recipeFlow } from './recipe-flow.ts';
import { runDuration, triggerWords } from './runs-page.ts';
import { waitWords } from './wait-words.ts';

export interface RunPageData {
  run: Run;
  journal: JournalEntry[];
  /** The recipe version the run started with; undefined when the store no longer has it. */
  recipe: Recipe | undefined;
  now: number;
  /** The outcome of an action just taken (after its redirect). */
  outcome?: string | undefined;
  /** The version of the run's recipe served now, when it is not the one the run started on. */
  newerVersion?: number | undefined;
  /**
   * A failed run's retry that would be refused now, said up front in place of its button. Asked only of
   * a failed run; undefined for any other, and for a failed run whose retries would go ahead.
   */
  retryRefused?: RetryRefusedUpFront | undefined;
}

/**
 * Why a failed run's retry would be refused now, as its page says it before any button: the retry from
 * the failed step (and so any retry), or only the one on the version served now (then the retry on the
 * run's own version is still offered).
 */
export type RetryRefusedUpFront = { retry: ActionRefusal } | { retryCurrent: ActionRefusal };

/** The title of a retry refused up front: the confirmation page's, and the run page's heading. */
export const CANNOT_RETRY = 'Cannot retry this run';

/**
 * Whether a retry of the run from its failed step may be offered: the run gives no reason to refuse
 * one (retryRefusalOf, as the store decides), and it failed at a step. Another run holding its
 * concurrency key only the store can tell: the run page asks (retryRefused) before it shows the
 * button, and the confirmation page and the retry ask again (that run may take the key in between).
 */
export function canRetry(run: Run): boolean {
  return retryRefusalOf(run) === undefined && run.error?.stepKey !== undefined;
}

/** Whether to offer a cancel on the run's page: it has not finished, or failed at a step (cancelRefusalOf, as the engine decides). */
function canCancel(run: Run): boolean {
  return cancelRefusalOf(run) === undefined;
}

/** A run's error in words: which step, what went wrong. */
export function errorWords(run: Run): Html | string {
  const e = run.error;
  if (!e) return '';
  if (e.name === STOPPED_BY_RECIPE) return html`<p class="error-words">The recipe stopped the run as failed: ${e.message}</p>`;
  return html`<p class="error-words">${e.stepKey ? html`Step <a href="#step-${e.stepKey}">${e.stepKey}</a> failed: ` : 'The run failed: '}${e.message} <span class="muted">(${e.name})</span></p>`;
}

function entryDetail(e: JournalEntry): Html {
  return html`<dl class="facts">
<dt>Attempts</dt><dd>${e.attempts}</dd>
<dt>Started</dt><dd>${time(e.startedAt)}</dd>
${e.finishedAt !== null ? html`<dt>Finished</dt><dd>${time(e.finishedAt)} <span class="muted">(${duration(e.finishedAt - e.startedAt)})</span></dd>` : ''}
${e.nextAttemptAt !== null ? html`<dt>Next attempt</dt><dd>${time(e.nextAttemptAt)}</dd>` : ''}
${e.status === 'waiting' ? html`<dt>Waits for</dt><dd>${waitWords(e)}</dd>` : ''}
${e.error ? html`<dt>Error</dt><dd class="error-words">${e.error.message} <span class="muted">(${e.error.name})</span></dd>` : ''}
${e.notes.length > 0 ? html`<dt>Notes</dt><dd><ul>${e.notes.map((n) => html`<li>${n}</li>`)}</ul></dd>` : ''}
</dl>
<details><summary>Input and output of ${e.stepKey}</summary><h3 class="muted">Input</h3>${jsonBlock(redact(e.input))}<h3 class="muted">Output</h3>${jsonBlock(redact(e.output))}</details>`;
}

/** The run: facts, error, the actions it allows, and its steps drawn as its recipe's flow. */
export function runPage(frame: PageFrame, d: RunPageData): Html {
  const { run, retryRefused } = d;
  const journal = new Map(d.journal.map((e) => [e.stepKey as string, e]));
  const offerRetry = canRetry(run) && !(retryRefused && 'retry' in retryRefused);
  return layout(
    `Run ${run.id}`,
    frame,
    html`${d.outcome ? notice('ok', d.outcome) : ''}
<dl class="facts">
<dt>Recipe</dt><dd><a href="/console/recipes/${run.recipe}">${run.recipe}</a> v${run.recipeVersion}</dd>
<dt>Status</dt><dd>${statusBadge(run.status)}</dd>
<dt>Business key</dt><dd>${run.correlationKey ?? '–'}</dd>
<dt>Trigger</dt><dd>${triggerWords(run)}${run.trigger.deliveryId ? html` <span class="muted">delivery ${run.trigger.deliveryId}</span>` : ''}</dd>
<dt>Started</dt><dd>${time(run.createdAt)}</dd>
<dt>Finished</dt><dd>${time(run.finishedAt)}</dd>
<dt>Duration</dt><dd>${runDuration(run, d.now)}</dd>
${run.wakeAt !== null && !FINISHED_STATUSES.includes(run.status) ? html`<dt>Due next</dt><dd>${time(run.wakeAt)}</dd>` : ''}
</dl>
${errorWords(run)}
${retryRefused && 'retry' in retryRefused ? html`<section class="refusal" aria-labelledby="retry-refused"><h2 id="retry-refused">${CANNOT_RETRY}</h2>${refusalWords(run, retryRefused.retry)}</section>` : ''}
${retryRefused && 'retryCurrent' in retryRefused ? html`<section class="refusal" aria-labelledby="retry-current-refused"><h2 id="retry-current-refused">${CANNOT_RETRY} on v${d.newerVersion}, the version served now:</h2>${refusalWords(run, retryRefused.retryCurrent)}</section>` : ''}
<div class="actions">
${offerRetry ? html`<a class="button" href="/console/runs/${run.id}/retry">Retry from the failed step</a>` : ''}
${offerRetry && d.newerVersion !== undefined && !retryRefused ? html`<a class="button" href="/console/runs/${run.id}/retry-current">Retry on v${d.newerVersion}, the version served now</a>` : ''}
${canCancel(run) ? html`<a class="button danger" href="/console/runs/${run.id}/cancel">Cancel this run</a>` : ''}
</div>
<details><summary>Trigger data</summary>${jsonBlock(redact(run.trigger.data))}</details>
<h2>Steps</h2>
${
  d.recipe
    ? recipeFlow(d.recipe, { journal, entry: entryDetail })
    : html`<p class="muted">The recipe version of this run is not in the store; its journal, in order:</p><ol>${d.journal.map((e) => html`<li><strong>${e.stepKey}</strong> ${statusBadge(e.status)}${entryDetail(e)}</li>`)}</ol>`
}`,
  );
}

/** The confirmation step of retry and cancel: a form that posts, and a way back; works without script. */
export function confirmPage(frame: PageFrame, run: Run, action: 'retry' | 'retry-current' | 'cancel', csrf: string): Html {
  const words =
    action === 'retry'
      ? { title: 'Retry this run?', text: html`The run continues from its failed step <strong>${run.error?.stepKey ?? ''}</strong> as v${run.recipeVersion} of its recipe, the version it started on; the steps that completed are not repeated.`, button: 'Yes, retry from the failed step', cls: 'primary' }
      : action === 'retry-current'
      ? { title: 'Retry this run on the version served now?', text: html`The run continues from its failed step <strong>${run.error?.stepKey ?? ''}</strong> as the version of its recipe served now, not v${run.recipeVersion} (after a fix of the recipe that failed it); the steps that completed are not repeated. Refused when that version lacks a step the run went through.`, button: 'Yes, retry on the version served now', cls: 'primary' }
      : run.status === 'failed'
      ? { title: 'Cancel this failed run?', text: html`Closes out the failure: the run will not be retried (a retry is refused once it is canceled) and it no longer counts among the failed runs. What its steps did stays done; what they did not is not done.`, button: 'Yes, cancel the run', cls: 'danger' }
      : { title: 'Cancel this run?', text: html`The run stops for good: its waits end and its approval links no longer work. It cannot be resumed.`, button: 'Yes, cancel the run', cls: 'danger' };
  return layout(
    words.title,
    frame,
    html`<p>Run <a href="/console/runs/${run.id}">${run.id}</a> of ${run.recipe} v${run.recipeVersion}${run.correlationKey ? html` for <strong>${run.correlationKey}</strong>` : ''} is ${statusBadge(run.status)}.</p>
${errorWords(run)}
<p>${words.text}</p>
<form method="post" action="/console/runs/${run.id}/${action}" class="actions">
${csrfField(csrf)}
<button type="submit" class="${words.cls}">${words.button}</button>
<a class="button secondary" href="/console/runs/${run.id}">No, go back</a>
</form>`,
  );
}

/** An action the run refuses, in the words of the API, and the run holding its concurrency key when that is why. */
export interface ActionRefusal {
  /** The refusal as the API words it (retryRefusalWords, cancelRefusalWords), made a sentence here. */
  words: string;
  /** A retry refused because another run holds the run's concurrency key: that run, and the key. */
  holder?: { id: string; run: Run | undefined; concurrencyKey: string } | undefined;
}

/**
 * A retry or cancel the run refuses: on its confirmation page, before any button (then none is
 * offered), or after the button, when the run changed in between. The refusal in the words of the
 * API; a retry held back by another run of the concurrency key links to that run with its status and
 * says what to do (wait for it to finish, or cancel it).
 */
export function actionRefusedPage(frame: PageFrame, title: string, run: Run, refusal: ActionRefusal): Html {
  return layout(
    title,
    frame,
    html`<p>Run <a href="/console/runs/${run.id}">${run.id}</a> of ${run.recipe} v${run.recipeVersion}${run.correlationKey ? html` for <strong>${run.correlationKey}</strong>` : ''} is ${statusBadge(run.status)}.</p>
${refusalWords(run, refusal, `Nothing is done: run ${run.id} stays failed. `)}
<p><a href="/console/runs/${run.id}">Back to the run</a></p>`,
  );
}

/**
 * A refusal in the words of the API made a sentence, and, for a retry held back by another run of the
 * concurrency key, that run (linked, with its status), what to do, and a link to cancel it: the same
 * words on the refusal page of an action and, up front, on the run's page. `done` says that the action
 * left the run as it was, on the pages of an action.
 */
function refusalWords(run: Run, refusal: ActionRefusal, done = ''): Html {
  const sentence = `${refusal.words.charAt(0).toUpperCase()}${refusal.words.slice(1)}.`;
  const h = refusal.holder;
  return html`${notice('error', sentence)}
${
  h
    ? html`<p>Holding the key ${h.concurrencyKey}: <a href="/console/runs/${h.id}">run ${h.id}</a> ${h.run ? html`${statusBadge(h.run.status)} <span class="muted">(started ${time(h.run.createdAt)})</span>` : ''}</p>
<p>${done}Once run ${h.id} has finished (completed, failed or canceled), retry run ${run.id} again; if run ${h.id} should not go on, cancel it first.</p>
<div class="actions"><a class="button danger" href="/console/runs/${h.id}/cancel">Cancel run ${h.id}</a></div>`
    : ''
}`;
}
