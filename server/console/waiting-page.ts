import { html } from 'hono/html';
import type { Approval, JournalEntry, RunSummary } from '../store/store.ts';
import { layout, time, type Html, type PageFrame } from './console-layout.ts';
import { waitWords } from './wait-words.ts';

/** One waiting step of a waiting run, with the approval links out for it when it waits for a decision. */
export interface WaitingRow {
  run: RunSummary;
  entry: JournalEntry;
  approvals: Approval[];
  /** The waiting step's description in its recipe, when it has one (e.g. "Level 2: the regional lead decides"). */
  description: string | undefined;
  /** The wait whose timeout led here (an escalation, D10), from the recipe; undefined for a first wait. */
  escalatedFrom?: string | undefined;
}

export interface WaitingPageData {
  approvals: WaitingRow[];
  others: WaitingRow[];
  retrying: Array<{ run: RunSummary; entry: JournalEntry }>;
  nextBefore: string | null;
}

function runCell(run: RunSummary): Html {
  return html`<a href="/console/runs/${run.id}">${run.correlationKey ?? run.id}</a><div class="muted">${run.recipe} v${run.recipeVersion}</div>`;
}

function approverWords(a: Approval): Html {
  return html`${a.approverName ? html`${a.approverName} &lt;${a.approverEmail}&gt;` : a.approverEmail} <span class="muted">(link sent ${time(a.createdAt)})</span>`;
}

/**
 * What waits on whom: approvals (approver, level, since when, when the escalation or timeout fires),
 * then other waits (a time, an event) and failed steps waiting for their next attempt.
 */
export function waitingPage(frame: PageFrame, d: WaitingPageData): Html {
  return layout(
    'Waiting',
    frame,
    html`<h2>Approvals waiting</h2>
${
  d.approvals.length === 0
    ? html`<p>No run waits for an approval.</p>`
    : html`<table><thead><tr><th scope="col">Record</th><th scope="col">Approver</th><th scope="col">Level</th><th scope="col">Waiting since</th><th scope="col">Escalation or timeout</th></tr></thead><tbody>
${d.approvals.map(
  (w) => html`<tr><td>${runCell(w.run)}${w.approvals[0] ? html`<div>${w.approvals[0].subject}</div>` : ''}</td>
<td>${w.approvals.length === 0 ? html`<span class="muted">no open link</span>` : html`<ul>${w.approvals.map((a, i) => html`<li>${i > 0 ? html`<span class="muted">then </span>` : ''}${approverWords(a)}</li>`)}</ul>`}</td>
<td>${w.escalatedFrom ? html`<strong>escalated</strong> after ${w.escalatedFrom} timed out` : 'first request'}: signal <code>${w.entry.wait?.kind === 'signal' ? w.entry.wait.signal : ''}</code> at step ${w.entry.stepKey}${w.description ? html`<div class="muted">${w.description}</div>` : ''}</td>
<td>${time(w.entry.startedAt)}</td>
<td>${w.entry.wait?.kind === 'signal' && w.entry.wait.deadline !== null ? time(w.entry.wait.deadline) : html`<span class="muted">none</span>`}</td></tr>`,
)}
</tbody></table>`
}
<h2>Other waits</h2>
${
  d.others.length === 0
    ? html`<p>No run waits for a time or an event.</p>`
    : html`<table><thead><tr><th scope="col">Record</th><th scope="col">Waits for</th><th scope="col">Waiting since</th><th scope="col">Deadline</th></tr></thead><tbody>
${d.others.map((w) => {
  const wait = w.entry.wait;
  const deadline = wait?.kind === 'time' ? wait.until : (wait?.deadline ?? null);
  return html`<tr><td>${runCell(w.run)}</td><td>${waitWords(w.entry)}${w.description ? html`<div class="muted">${w.description}</div>` : ''}</td><td>${time(w.entry.startedAt)}</td><td>${time(deadline)}</td></tr>`;
})}
</tbody></table>`
}
<h2>Retries waiting</h2>
${
  d.retrying.length === 0
    ? html`<p>No failed step waits for another attempt.</p>`
    : html`<table><thead><tr><th scope="col">Record</th><th scope="col">Step</th><th scope="col">Last error</th><th scope="col">Attempts</th><th scope="col">Next attempt</th></tr></thead><tbody>
${d.retrying.map((r) => html`<tr><td>${runCell(r.run)}</td><td>${r.entry.stepKey}</td><td class="error-words">${r.entry.error?.message ?? ''}</td><td>${r.entry.attempts}</td><td>${time(r.entry.nextAttemptAt)}</td></tr>`)}
</tbody></table>`
}
${d.nextBefore ? html`<nav class="actions" aria-label="Pages"><a href="/console/waiting?before=${d.nextBefore}" rel="next">Older waiting runs</a></nav>` : ''}`,
  );
}
