import { html } from 'hono/html';
import type { Recipe } from '../../schemas/recipe.ts';
import type { BusinessTimer, JournalEntry, UpcomingWake } from '../store/store.ts';
import type { UpcomingPoll } from '../engine/upcoming-triggers.ts';
import { layout, time, type Html, type PageFrame } from './console-layout.ts';
import { purpose } from './recipes-page.ts';

/** One thing that will fire: when, what kind, for which record, and why. */
export interface TimerRow {
  at: number;
  kind: 'escalation or timeout' | 'event deadline' | 'wait' | 'retry' | 'start' | 'turn' | 'reminder' | 'schedule' | 'poll';
  record: Html | string;
  why: Html | string;
}

function runLink(runId: string, label: string): Html {
  return html`<a href="/console/runs/${runId}">${label}</a>`;
}

/**
 * Why an unfinished run wakes when it does (`GET /timers`' `timers`), from its waiting or retrying
 * step: an approval's deadline (the escalation or timeout of its `wait_for`), an event's deadline, a
 * `wait`, a retry, or its start.
 */
export function wakeRow(wake: UpcomingWake, key: string | null, entry: JournalEntry | undefined, retrying: JournalEntry | undefined, recipe: Recipe | undefined, stepHasTimeoutSteps: (stepId: string) => boolean): TimerRow {
  const record = html`${runLink(wake.runId, key ?? wake.runId)}<div class="muted">${wake.recipe}</div>`;
  if (entry?.wait?.kind === 'signal') {
    return { at: wake.wakeAt, kind: 'escalation or timeout', record, why: html`No decision on signal <code>${entry.wait.signal}</code> by then: step ${entry.stepKey} ${stepHasTimeoutSteps(entry.stepId) ? 'runs its on_timeout steps (a reminder, an escalation)' : 'times out'}.` };
  }
  if (entry?.wait?.kind === 'event') return { at: wake.wakeAt, kind: 'event deadline', record, why: html`Event <code>${entry.wait.event}</code> for ${entry.wait.key} has not come by then: step ${entry.stepKey} times out.` };
  if (entry?.wait?.kind === 'time') return { at: wake.wakeAt, kind: 'wait', record, why: html`Step ${entry.stepKey} waits until then.` };
  if (retrying) return { at: wake.wakeAt, kind: 'retry', record, why: html`Step ${retrying.stepKey} failed (${retrying.error?.message ?? 'an error'}); attempt ${retrying.attempts + 1}.` };
  if (wake.status === 'queued') return { at: wake.wakeAt, kind: 'start', record, why: purpose(recipe) };
  return { at: wake.wakeAt, kind: 'turn', record, why: `The run is due (status ${wake.status}).` };
}

/** A pending business timer (the `timer` trigger, e.g. a D14 claim reminder). */
export function businessTimerRow(timer: BusinessTimer, recipe: Recipe | undefined): TimerRow {
  const offset = /^\d+$/.test(timer.offset) ? `day ${timer.offset}` : timer.offset;
  return { at: timer.fireAt, kind: 'reminder', record: html`${timer.key}<div class="muted">${timer.recipe}</div>`, why: html`${offset} after ${timer.date}. ${purpose(recipe)}` };
}

export function scheduleRow(name: string, at: number, recipe: Recipe): TimerRow {
  const trigger = recipe.trigger.type === 'schedule' ? recipe.trigger : undefined;
  return { at, kind: 'schedule', record: html`<a href="/console/recipes/${name}">${name}</a>`, why: html`${trigger ? html`<code>${trigger.cron}</code> (${trigger.timezone}). ` : ''}${purpose(recipe)}` };
}

export function pollRow(poll: UpcomingPoll): TimerRow {
  const { recipe } = poll;
  const every = recipe.trigger.type === 'poll' ? recipe.trigger.every : '';
  return { at: poll.firesAt, kind: 'poll', record: html`<a href="/console/recipes/${recipe.name}">${recipe.name}</a>`, why: html`Polls every ${every}${poll.failures > 0 ? html`; <span class="error-words">${poll.failures} failed in a row: ${poll.lastError ?? ''}</span>` : ''}. ${purpose(recipe)}` };
}

/**
 * What fires next, soonest first. Run wake-ups and business timers page as `GET /timers` pages them,
 * each list with its own cursor: `next` goes on from the last row of each list that filled its page;
 * schedules and polls are on the first page.
 */
export function timersPage(frame: PageFrame, rows: TimerRow[], d: { paged: boolean; next: string | null }): Html {
  const sorted = [...rows].sort((a, b) => a.at - b.at);
  return layout(
    'Timers',
    frame,
    html`<p class="muted">Soonest first: runs that wake (waits, approval deadlines, retries), business timers (reminders), schedules and polls.${d.paged ? ' A later page: run wake-ups and business timers after those of the page before.' : ''}</p>
${
  sorted.length === 0
    ? html`<p>${d.paged ? 'Nothing more is due to fire.' : 'Nothing is due to fire.'}</p>`
    : html`<table><thead><tr><th scope="col">Fires</th><th scope="col">What</th><th scope="col">Record</th><th scope="col">Why</th></tr></thead><tbody>
${sorted.map((r) => html`<tr><td>${time(r.at)}</td><td>${r.kind}</td><td>${r.record}</td><td>${r.why}</td></tr>`)}
</tbody></table>`
}
<nav class="actions" aria-label="Pages of timers">
${d.paged ? html`<a href="/console/timers">Soonest</a>` : ''}
${d.next ? html`<a href="${d.next}" rel="next">Next page</a>` : ''}
</nav>`,
  );
}
