import { createHash } from 'node:crypto';
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { ApprovalDecision, Run } from '../store/store.ts';
import { timeForPeople } from '../../connectors/approval/time-for-people.ts';

/**
 * The pages an approver sees after clicking a link in an email. Every value is interpolated through
 * hono's `html` template, which escapes it: subjects and names come from partner-entered records.
 * The only style is inline and allowed by its hash in the Content-Security-Policy; no script runs.
 */
const STYLE = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1f2328;line-height:1.5}
h1{font-size:1.4rem}.subject{font-size:1.1rem;font-weight:600;padding:.75rem 1rem;background:#f6f8fa;border-radius:6px}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}dt{color:#59636e}dd{margin:0}
fieldset{border:0;padding:0;margin:1rem 0}label{margin-right:1.5rem}textarea{width:100%;min-height:5rem;font:inherit}
button{margin-top:1rem;font:inherit;padding:.5rem 1.25rem;border-radius:6px;border:1px solid #1f883d;background:#1f883d;color:#fff;cursor:pointer}
.muted{color:#59636e;font-size:.9rem}`;

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/** Headers for every approval page: never cached, never leak the token-bearing URL, nothing but our style. */
export const APPROVAL_PAGE_HEADERS: Record<string, string> = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'X-Robots-Tag': 'noindex',
};

export interface ApprovalSummary {
  subject: string;
  approverName: string | null;
  approverEmail: string;
  expiresAt: number | null;
}

function layout(title: string, body: HtmlEscapedString | Promise<HtmlEscapedString>) {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Partnerflow</title>
<style>${raw(STYLE)}</style>
</head>
<body>
${body}
</body>
</html>`;
}

/** Times as the emails write them: in the business calendar's zone, named (never UTC beside a local time). */
const when = timeForPeople;

function approver(a: ApprovalSummary): string {
  return a.approverName ? `${a.approverName} <${a.approverEmail}>` : a.approverEmail;
}

const decisionWord = (d: ApprovalDecision) => (d === 'approve' ? 'approved' : 'denied');

export function confirmationPage(a: ApprovalSummary, preselected: ApprovalDecision | undefined, zone: string) {
  const checked = (d: ApprovalDecision) => (preselected === d ? html` checked` : '');
  return layout(
    'Confirm your decision',
    html`<h1>Confirm your decision</h1>
<p class="subject">${a.subject}</p>
<dl><dt>Approver</dt><dd>${approver(a)}</dd><dt>Link valid</dt><dd>as long as the request awaits a decision${a.expiresAt !== null ? `, at the latest until ${when(a.expiresAt, zone)}` : ''}</dd></dl>
<form method="post">
<fieldset><legend>Decision</legend>
<label><input type="radio" name="decision" value="approve" required${checked('approve')}> Approve</label>
<label><input type="radio" name="decision" value="deny"${checked('deny')}> Deny</label>
</fieldset>
<label for="comment">Message to the partner (optional): sent to them as you write it</label>
<textarea id="comment" name="comment" maxlength="2000"></textarea>
<button type="submit">Confirm</button>
</form>
<p class="muted">Nothing is recorded until you confirm. The link works once.</p>`,
  );
}

/**
 * After the POST that decides. The decision is recorded and handed to the run, which applies it after
 * reading the request again: a request canceled in the PRM meanwhile stays canceled. So the page says
 * what was recorded, not what the request now is.
 */
export function decidedPage(subject: string, decision: ApprovalDecision) {
  return layout(
    'Decision recorded',
    html`<h1>Thank you — ${decision === 'approve' ? 'approval' : 'denial'} recorded</h1>
<p class="subject">${subject}</p>
<p>Your decision to ${decision} was recorded and will be applied to the request. If the request was canceled or changed in the partner portal meanwhile, it stays as it is there. You can close this page.</p>`,
  );
}

export function invalidLinkPage() {
  return layout(
    'Link not valid',
    html`<h1>This link is not valid</h1>
<p>Check that the whole link was copied from the email. If it was, the request may have been withdrawn; nothing was recorded.</p>`,
  );
}

/** `decision` is null when the request was decided through another link (the approver's or the manager's). */
export function alreadyDecidedPage(subject: string, decided: { decision: ApprovalDecision | null; at: number | null; by: string | null }, zone: string) {
  const what = decided.decision ? html` It was <strong>${decisionWord(decided.decision)}</strong>` : html` A decision was made`;
  const by = decided.by ? html` by ${decided.by}` : '';
  const at = decided.at !== null ? html` on ${when(decided.at, zone)}` : '';
  return layout(
    'Already decided',
    html`<h1>This request was already decided</h1>
<p class="subject">${subject}</p>
<p>${what}${by}${at}. Nothing was changed.</p>`,
  );
}

/**
 * D10: a link stops working when its hard cap passes (`waitEndedAt` null), or when the request stopped
 * waiting for the decision: its last wait timed out and it went on without one.
 */
export function expiredPage(a: ApprovalSummary, waitEndedAt: number | null, zone: string) {
  const what =
    waitEndedAt !== null
      ? html`<p>No decision arrived while the request waited for one: it stopped waiting on ${when(waitEndedAt, zone)} and went on without a decision. Nothing was recorded.</p>`
      : html`<p>It was valid until ${a.expiresAt !== null ? when(a.expiresAt, zone) : 'its request stopped waiting'}. Nothing was recorded. If the request still awaits a decision, a newer email about it has a link that works.</p>`;
  return layout(
    'Link expired',
    html`<h1>This link has expired</h1>
<p class="subject">${a.subject}</p>
${what}`,
  );
}

/**
 * The run the link answers has ended, or its last wait for the decision timed out and the recipe has no
 * later one (D10): say how, and when, as far as the runtime knows it.
 */
export function closedPage(subject: string, run: Pick<Run, 'status' | 'finishedAt'> | null, waitEndedAt: number | null, zone: string, canceledBecause: string | null = null) {
  const at = run?.finishedAt != null ? html` on ${when(run.finishedAt, zone)}` : '';
  const how =
    run?.status === 'canceled' && canceledBecause
      ? // The recipe said why (its cancel_on reason, e.g. ops decided the request in the PRM).
        html`${asSentence(canceledBecause)} It stopped waiting for a decision here${at}, so no decision is needed any more.`
      : run?.status === 'canceled'
      ? html`It was canceled${at}, before a decision was made here, so no decision is needed any more.`
      : waitEndedAt !== null && run && run.finishedAt === null
        ? html`No decision arrived while it waited for one: it stopped waiting on ${when(waitEndedAt, zone)} and went on without a decision.`
        : waitEndedAt !== null
        ? html`No decision arrived while it waited for one: it stopped waiting on ${when(waitEndedAt, zone)}, went on without a decision and has ended${at}.${
            // A run that completed after its last wait timed out handed the decision on; the page cannot
            // know the recipe's words, so it says only what holds for every such recipe.
            run?.status === 'completed' ? html` The decision is now made in the PRM by the team that runs the programme.` : ''
          }`
        : run
          ? html`It ended${at} before a decision was made here, so no decision is needed any more.`
          : html`It was canceled or finished before a decision was made here, so no decision is needed any more.`;
  return layout(
    'Request closed',
    html`<h1>This request is closed</h1>
<p class="subject">${subject}</p>
<p>${how} Nothing was recorded.</p>`,
  );
}

/**
 * The run goes on, but no step of the recipe version it runs on takes a decision from this link (its
 * `wait_for` names another signal): a decision would never be applied, so none is recorded.
 */
export function notAwaitedPage(subject: string) {
  return layout(
    'No decision awaited',
    html`<h1>This request does not wait for a decision</h1>
<p class="subject">${subject}</p>
<p>The process this request runs on takes no decision from this link, so a decision made here would never be applied. Nothing was recorded. If the request still needs a decision, tell the team that runs the programme.</p>`,
  );
}

/**
 * The store could not be reached (PostgreSQL restarting, a failover), and the same link works once it
 * answers. `deciding`: the approver had confirmed a decision (the POST), which was not recorded and must
 * not be taken for recorded. Opening the link (the GET) cannot tell whether a decision was recorded
 * before (yesterday, or by a click whose answer was lost): it says so. `subject` when the link's request
 * was read before the store went away.
 */
export function storeUnavailablePage(deciding: boolean, subject: string | null) {
  return layout(
    deciding ? 'Not recorded: try again in a few minutes' : 'Cannot be shown: try again in a few minutes',
    html`<h1>${deciding ? 'Your decision was not recorded' : 'This request cannot be shown right now'}</h1>
${subject !== null ? html`<p class="subject">${subject}</p>` : ''}
<p>Partnerflow cannot reach its database at the moment, so ${deciding ? html`your decision was <strong>NOT recorded</strong>` : html`this page cannot show the request or whether a decision on it was recorded`}.</p>
<p>Open the link from the email again in a few minutes${deciding ? ' and confirm your decision again' : ': the page then shows the request, and whether it was decided'}.</p>`,
  );
}

/**
 * The store was asked to record the decision and the connection went before it answered: the decision
 * may or may not be stored. Opening the link again shows which (already decided, or the form again).
 */
export function decisionOutcomeUnknownPage(decision: ApprovalDecision, subject: string) {
  return layout(
    'Decision may not have been recorded',
    html`<h1>Your decision may not have been recorded</h1>
<p class="subject">${subject}</p>
<p>Partnerflow lost the connection to its database while it recorded your decision to ${decision}: it may have been recorded, or it may not have been recorded.</p>
<p>Open the link from the email again in a few minutes: the page then shows whether it was recorded. If it was not, confirm your decision again there.</p>`,
  );
}

export function badDecisionPage(message: string) {
  return layout(
    'Decision not understood',
    html`<h1>The decision was not understood</h1>
<p>${message}</p>
<p>Go back, choose Approve or Deny and confirm again. Nothing was recorded.</p>`,
  );
}

/** A reason as a sentence of its own: the operator's default ("canceled by an operator") has neither capital nor full stop. */
function asSentence(reason: string): string {
  const text = reason.trim();
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
