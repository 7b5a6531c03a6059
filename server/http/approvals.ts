import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { z } from 'zod';
import { hashApprovalToken, isWellFormedToken, tokenMatches } from '../../connectors/approval/approval-token.ts';
import type { Approval, ApprovalDecision, DecideOutcome, JournalEntry, Run } from '../store/store.ts';
import { signalWaitEndedAt, signalWaitEndedForGoodAt, type SignalWaitView } from '../store/approval-link-lifetime.ts';
import { signalWaitsOf } from '../engine/awaited-signal.ts';
import { timeForPeople } from '../../connectors/approval/time-for-people.ts';
import { DecisionForm, DecisionQuery, DecisionResult, ErrorBody } from './api-schemas.ts';
import type { AppDeps, AppEnv } from './app.ts';
import {
  alreadyDecidedPage,
  APPROVAL_PAGE_HEADERS,
  badDecisionPage,
  closedPage,
  confirmationPage,
  decidedPage,
  decisionOutcomeUnknownPage,
  expiredPage,
  invalidLinkPage,
  notAwaitedPage,
  storeUnavailablePage,
} from './approval-pages.ts';
import { issuesOf, summarizeIssues } from '../../schemas/format-issues.ts';
import type { RouteDoc } from './openapi.ts';
import { readBodyWithLimit } from './read-body.ts';
import { refOf } from '../engine/lifecycle-events.ts';
import { repeatedFields } from './repeated-fields.ts';
import { CommitOutcomeUnknownError, StoreUnavailableError } from '../store/store-unavailable.ts';
import type { StoreRefusalLog } from './store-refusal-log.ts';

/**
 * A decision form is a few hundred bytes, but its comment may be 2000 characters of any script: form-encoded,
 * a character of Chinese or Japanese takes 9 bytes (`%E5%A5%BD`), so 2000 of them 18,000 bytes, which 16 KB
 * refused (413) though the form allowed them. 32 KB holds any comment the form takes; much larger is not one.
 */
const MAX_DECISION_BYTES = 32 * 1024;

/**
 * Approval links. `GET` only shows what the link would decide (mail scanners and link previews open
 * links; they must not approve anything), `POST` decides, once. The token is the credential: it is
 * hashed before it touches the store and never logged.
 */
export function approvalRoutes(deps: AppDeps, storeRefused: StoreRefusalLog): Hono<AppEnv> {
  const { engine } = deps;
  const store = engine.store;
  const zone = deps.approvalLinks.timezone;
  const app = new Hono<AppEnv>();

  /** What a link would do now, checked in the same order as the store's decide. */
  async function inspect(token: string): Promise<LinkState> {
    if (!isWellFormedToken(token)) return { kind: 'invalid' };
    const approval = await findApproval(token);
    if (!approval) return { kind: 'invalid' };
    if (approval.usedAt !== null) return { kind: 'used', approval, decision: approval.decision, at: approval.usedAt, by: approval.approverEmail };
    const journal = await store.getJournal(approval.runId);
    const other = decidedElsewhere(approval, journal);
    if (other) return { kind: 'used', approval, ...other };
    if (approval.expiresAt !== null && approval.expiresAt <= engine.clock.now()) return { kind: 'expired', approval, waitEndedAt: null };
    // D10: the link lives as long as the run waits for its signal; say what became of that wait.
    const run = await store.getRun(approval.runId);
    const finished = !run || run.finishedAt !== null;
    const views = journal.map(signalWaitView);
    const waitEndedAt = signalWaitEndedAt(views, approval.signal, finished);
    if (finished) return { kind: 'closed', approval, run: run ?? null, waitEndedAt, canceledBecause: await canceledBecause(run) };
    // No wait_for of the version the run runs on takes the signal: no step would ever read a decision.
    const waits = await signalWaitsOf(engine.recipes, run.recipeHash, approval.signal);
    if (!waits.awaited) return { kind: 'not_awaited', approval, run };
    // The last wait timed out and the recipe has no later wait for the signal: closed, as the store says.
    const endedForGood = signalWaitEndedForGoodAt(views, approval.signal, waits.timeoutIsFinal);
    if (endedForGood !== null) return { kind: 'closed', approval, run, waitEndedAt: endedForGood };
    if (waitEndedAt !== null) return { kind: 'expired', approval, waitEndedAt };
    return { kind: 'open', approval };
  }

  /**
   * Why the run was canceled, when its recipe's cancel_on says it in words for people (D11: "already
   * decided in the PRM: it is Approved there"); the default reason names an event and is not shown.
   */
  async function canceledBecause(run: Run | undefined): Promise<string | null> {
    if (run?.status !== 'canceled' || !run.error?.message) return null;
    const recipe = await engine.recipes.byHash(run.recipeHash).catch(() => undefined);
    return recipe?.cancel_on?.reason ? run.error.message : null;
  }

  /**
   * The approval a token opens: found by the token's hash, then the token is derived again from the
   * secret and the approval's id and compared in constant time, so a link made with a secret that was
   * since replaced no longer works. Links made before tokens were derived (no id) have only their hash.
   */
  async function findApproval(token: string): Promise<Approval | undefined> {
    const approval = await store.getApproval(hashApprovalToken(token));
    if (!approval) return undefined;
    if (approval.id && !tokenMatches(deps.approvalLinks.linkSecret, approval.id, token)) return undefined;
    return approval;
  }

  /**
   * The approver's and the manager's links answer one signal: once one decided, the other is used.
   * Several steps may wait for the same signal (after an escalation the first wait timed out and a
   * second one waits on), so look for the step that was answered, not the first one that completed.
   */
  function decidedElsewhere(approval: Approval, journal: readonly JournalEntry[]): { decision: ApprovalDecision | null; at: number | null; by: string | null } | null {
    const answered = journal
      .filter((e) => e.wait?.kind === 'signal' && e.wait.signal === approval.signal && e.status === 'completed')
      .map((e) => e.output as { timed_out?: boolean; decision?: ApprovalDecision; approver?: string; decided_at?: string } | null | undefined)
      .filter((o): o is NonNullable<typeof o> => !!o && o.timed_out === false && !!o.decision);
    const output = answered.at(-1);
    if (!output) return null;
    return { decision: output.decision!, at: output.decided_at ? Date.parse(output.decided_at) : null, by: output.approver ?? null };
  }

  /**
   * The store cannot serve (D7): the approver gets a page, not the API's JSON 503, saying that nothing
   * was recorded, or, when the decision's commit went unanswered, that it may have been. Other errors
   * are bugs, for the app's error handler.
   */
  function storeUnavailable(c: Context<AppEnv>, error: unknown, json: boolean, clicked: { decision: ApprovalDecision; approval: Approval } | null): Response | Promise<Response> {
    if (!(error instanceof StoreUnavailableError)) throw error;
    const unknown = error instanceof CommitOutcomeUnknownError && clicked !== null;
    // A decision that may have been recorded is said each time (seldom, and an approver was told so);
    // plain refusals come in numbers while the store is away: at most a line a minute. Either answer
    // has the Retry-After of every refusal while the store is away (it is for machines); a person is
    // told "a few minutes", as an outage someone notices is seldom over within seconds.
    if (unknown) storeRefused(c, c.get('requestId'), error, "approval link: the store is unavailable and did not confirm the decision's commit; it may have been recorded", { each: true });
    else storeRefused(c, c.get('requestId'), error, 'approval link refused: the store is unavailable; nothing recorded');
    setPageHeaders(c);
    if (json) {
      const message = unknown
        ? 'the store did not confirm the decision: it may have been recorded or not; GET the link to see whether it was'
        : 'the store is unavailable: nothing was recorded; try again shortly';
      return c.json({ error: message, requestId: c.get('requestId') } satisfies z.infer<typeof ErrorBody>, 503);
    }
    if (unknown) return c.html(decisionOutcomeUnknownPage(clicked.decision, clicked.approval.subject), 503);
    return c.html(storeUnavailablePage(c.req.method === 'POST', clicked?.approval.subject ?? null), 503);
  }

  app.get('/approvals/:token', async (c) => {
    let state: LinkState;
    try {
      state = await inspect(c.req.param('token'));
    } catch (error) {
      return storeUnavailable(c, error, false, null);
    }
    if (state.kind !== 'open') return statePage(c, state, zone);
    const query = DecisionQuery.safeParse(c.req.query());
    return page(c, 200, confirmationPage(state.approval, query.success ? query.data.decision : undefined, zone));
  });

  app.post('/approvals/:token', async (c) => {
    const token = c.req.param('token');
    const json = (c.req.header('content-type') ?? '').toLowerCase().includes('json');
    let approval: Approval | undefined;
    try {
      approval = isWellFormedToken(token) ? await findApproval(token) : undefined;
    } catch (error) {
      return storeUnavailable(c, error, json, null);
    }
    if (!approval) return answer(c, json, { kind: 'invalid' }, zone);

    const body = await readBodyWithLimit(c, MAX_DECISION_BYTES);
    if (!body.ok) return badDecision(c, json, 413, [{ path: '$', message: `larger than ${MAX_DECISION_BYTES} bytes` }]);
    // A multipart form read as a urlencoded one has no decision in it: said so, rather than "decision: Invalid option".
    if (!json && /^\s*multipart\/form-data/i.test(c.req.header('content-type') ?? '')) {
      return badDecision(c, json, 415, [{ path: '$', message: 'a multipart form (multipart/form-data), which is not read here; send it as application/x-www-form-urlencoded, as the page\'s own form does, or as JSON' }]);
    }
    let fields: unknown;
    const text = new TextDecoder().decode(body.bytes);
    if (json) {
      try {
        fields = JSON.parse(text);
      } catch (error) {
        return badDecision(c, json, 400, [{ path: '$', message: `not valid JSON: ${(error as Error).message}` }]);
      }
    } else {
      fields = Object.fromEntries(new URLSearchParams(text));
    }
    const repeated = repeatedFields(text, json);
    if (repeated.length > 0) return badDecision(c, json, 400, repeated.map((name) => ({ path: name, message: 'given more than once, so the decision is ambiguous' })));
    // An empty comment box is no comment.
    if (fields && typeof fields === 'object' && (fields as { comment?: unknown }).comment === '') delete (fields as { comment?: unknown }).comment;
    const form = DecisionForm.safeParse(fields);
    if (!form.success) return badDecision(c, json, 400, issuesOf(form.error, [], fields));

    const hash = hashApprovalToken(token);
    let outcome: DecideOutcome;
    try {
      outcome = await engine.decide(hash, form.data.decision, form.data.comment);
    } catch (error) {
      return storeUnavailable(c, error, json, { decision: form.data.decision, approval });
    }
    // From here the store has answered: the store going away now must not make a recorded decision read
    // as not recorded. What is read below only adds details; without them the answer still holds.
    const run = await store.getRun(approval.runId).catch(unlessStoreUnavailable(undefined));
    // Which run the click answered, by the lifecycle lines' names (run id, recipe, business key).
    const ref = run ? refOf(run) : undefined;
    deps.log.info(
      { requestId: c.get('requestId'), ...(ref ?? { runId: approval.runId }), signal: approval.signal, outcome, decision: form.data.decision },
      `approval link used: ${form.data.decision} (${outcome})${ref ? ` for ${ref.key}` : ''}`,
    );
    // The decided page shows the subject, which a decision does not change: the approval found above will do.
    if (outcome === 'decided') return answer(c, json, { kind: 'decided', approval, decision: form.data.decision }, zone);
    // Say why nothing happened, with the details the GET page would show.
    const state = stateForOutcome(outcome, await inspect(token).catch(unlessStoreUnavailable<LinkState>({ kind: 'open', approval })));
    if (state.kind === 'not_awaited') {
      // A recipe defect ops should see: the approver's decision cannot reach the run, which will wait out its timeout.
      const on = refOf(state.run);
      deps.log.warn(
        { requestId: c.get('requestId'), ...on, recipeVersion: state.run.recipeVersion, signal: approval.signal, decision: form.data.decision },
        `approval link refused: version ${state.run.recipeVersion} of ${on.recipe}, which the run for ${on.key} runs on, has no wait_for on signal "${approval.signal}"; nothing recorded`,
      );
    }
    return answer(c, json, state, zone);
  });

  return app;
}

/** A read that only adds details: `fallback` when the store cannot serve it, any other error as it is. */
function unlessStoreUnavailable<T>(fallback: T): (error: unknown) => T {
  return (error) => {
    if (error instanceof StoreUnavailableError) return fallback;
    throw error;
  };
}

type LinkState =
  | { kind: 'invalid' }
  | { kind: 'used'; approval: Approval; decision: ApprovalDecision | null; at: number | null; by: string | null }
  /** `waitEndedAt`: the run's last wait for the signal timed out then (D10); null: the hard cap passed. */
  | { kind: 'expired'; approval: Approval; waitEndedAt: number | null }
  | { kind: 'closed'; approval: Approval; run: Run | null; waitEndedAt: number | null; canceledBecause?: string | null }
  /** The run goes on, but no `wait_for` of its recipe version takes the link's signal: the store answers `closed`. */
  | { kind: 'not_awaited'; approval: Approval; run: Run }
  | { kind: 'open'; approval: Approval };

type Answer = Exclude<LinkState, { kind: 'open' }> | { kind: 'decided'; approval: Approval; decision: ApprovalDecision };

/** The store's outcome is authoritative; the fresh inspection only adds what to show. */
function stateForOutcome(outcome: Exclude<DecideOutcome, 'decided'>, state: LinkState): Answer {
  if (state.kind === 'invalid' || outcome === 'unknown') return { kind: 'invalid' };
  const { approval } = state;
  if (outcome === 'used') return state.kind === 'used' ? state : { kind: 'used', approval, decision: approval.decision, at: approval.usedAt, by: null };
  if (state.kind === outcome || (outcome === 'closed' && state.kind === 'not_awaited')) return state;
  return outcome === 'expired' ? { kind: 'expired', approval, waitEndedAt: null } : { kind: 'closed', approval, run: null, waitEndedAt: null };
}

const STATUS: Record<Answer['kind'], ContentfulStatusCode> = { decided: 200, invalid: 404, used: 409, expired: 410, closed: 409, not_awaited: 409 };
/** As the store says it: a link no wait takes is `closed` to it, as one whose last wait timed out for good. */
const OUTCOME: Record<Answer['kind'], z.infer<typeof DecisionResult>['outcome']> = { decided: 'decided', invalid: 'unknown', used: 'used', expired: 'expired', closed: 'closed', not_awaited: 'closed' };

function statePage(c: Context<AppEnv>, state: Answer, zone: string): Response | Promise<Response> {
  return page(c, STATUS[state.kind], stateContent(state, zone));
}

/** Every time on a page is written in the business calendar's zone (`zone`), named. */
function stateContent(state: Answer, zone: string): HtmlEscapedString | Promise<HtmlEscapedString> {
  switch (state.kind) {
    case 'invalid':
      return invalidLinkPage();
    case 'used':
      return alreadyDecidedPage(state.approval.subject, state, zone);
    case 'expired':
      return expiredPage(state.approval, state.waitEndedAt, zone);
    case 'closed':
      return closedPage(state.approval.subject, state.run, state.waitEndedAt, zone, state.canceledBecause ?? null);
    case 'not_awaited':
      return notAwaitedPage(state.approval.subject);
    case 'decided':
      return decidedPage(state.approval.subject, state.decision);
  }
}

function answer(c: Context<AppEnv>, json: boolean, state: Answer, zone: string): Response | Promise<Response> {
  if (!json) return statePage(c, state, zone);
  const decision = state.kind === 'decided' ? state.decision : state.kind === 'used' ? state.decision : null;
  const message = {
    decided: 'decision recorded',
    invalid: 'this link is not valid',
    used: 'this request was already decided',
    expired: state.kind === 'expired' && state.waitEndedAt !== null ? `the request no longer waits for this decision: no decision arrived, and it went on without one on ${timeForPeople(state.waitEndedAt, zone)}` : 'this link has expired',
    closed:
      state.kind === 'closed' && state.waitEndedAt !== null
        ? `this request is closed: no decision arrived, and it went on without one on ${timeForPeople(state.waitEndedAt, zone)}`
        : state.kind === 'closed' && state.canceledBecause
          ? `this request is closed: ${state.canceledBecause}`
          : 'this request is closed: the run was canceled or finished',
    not_awaited: 'this request does not wait for a decision: nothing in its run would ever apply one; nothing was recorded',
  }[state.kind];
  setPageHeaders(c);
  return c.json({ outcome: OUTCOME[state.kind], decision, message } satisfies z.infer<typeof DecisionResult>, STATUS[state.kind]);
}

function badDecision(c: Context<AppEnv>, json: boolean, status: 400 | 413 | 415, issues: Array<{ path: string; message: string }>): Response | Promise<Response> {
  const summary = summarizeIssues(issues);
  if (json) {
    setPageHeaders(c);
    return c.json({ error: `the decision is not valid: ${summary}`, issues }, status);
  }
  return page(c, status, badDecisionPage(`The form sent ${summary}. Expected decision=approve or decision=deny and a comment of at most 2000 characters.`));
}

function setPageHeaders(c: Context): void {
  for (const [name, value] of Object.entries(APPROVAL_PAGE_HEADERS)) c.header(name, value);
}

function page(c: Context, status: ContentfulStatusCode, content: HtmlEscapedString | Promise<HtmlEscapedString>): Response | Promise<Response> {
  setPageHeaders(c);
  return c.html(content, status);
}

export const approvalDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/approvals/:token',
    tag: 'approvals',
    summary: 'Confirmation page of an approval link (never decides)',
    params: { token: 'The token from the approval email' },
    query: DecisionQuery,
    responses: {
      200: { description: 'What is being approved, by whom, and a form to confirm', html: true },
      404: { description: 'Not a valid link', html: true },
      409: { description: 'Already decided, or the request is closed: its run ended, or its last wait for the decision timed out and the recipe has no later wait for it; or the request does not wait for a decision: no wait_for of the recipe version its run runs on takes the link\'s signal', html: true },
      410: { description: 'The link expired: its hard cap passed, or the request no longer waits for this decision (its last wait timed out and it rests in another wait; a later wait for the decision may follow)', html: true },
      503: { description: 'The store is unavailable (with Retry-After): the request cannot be shown, nor whether it was decided; open the link again in a few minutes', html: true },
    },
  },
  {
    method: 'post',
    path: '/approvals/:token',
    tag: 'approvals',
    summary: 'Decide an approval, once',
    description: 'Form-encoded (the confirmation page) answers HTML pages; a JSON body answers JSON.',
    params: { token: 'The token from the approval email' },
    body: { schema: DecisionForm, contentTypes: ['application/x-www-form-urlencoded', 'application/json'] },
    responses: {
      200: { description: 'Decision recorded', schema: DecisionResult, html: true },
      400: { description: 'decision is not approve or deny, the comment is longer than 2000 characters, or a field is given twice (`decision=deny&decision=approve`)', schema: ErrorBody, html: true },
      404: { description: 'Not a valid link', schema: DecisionResult, html: true },
      409: { description: 'Already decided (through this or another link), or the request is closed: its run ended, or its last wait for the decision timed out and the recipe has no later wait for it; or the request does not wait for a decision (outcome `closed`): no wait_for of the recipe version its run runs on takes the link\'s signal', schema: DecisionResult, html: true },
      410: { description: 'The link expired: its hard cap passed, or the request no longer waits for this decision (its last wait timed out and it rests in another wait; a later wait for the decision may follow)', schema: DecisionResult, html: true },
      413: { description: 'Body too large', schema: ErrorBody, html: true },
      415: { description: 'A multipart form (multipart/form-data), which is not read: send the form urlencoded or as JSON', schema: ErrorBody, html: true },
      503: {
        description: 'The store is unavailable (with Retry-After): the decision was not recorded; or the store took the decision and its answer was lost, so it may have been recorded: the link\'s GET shows whether it was',
        schema: ErrorBody,
        html: true,
      },
    },
  },
];

function signalWaitView(e: JournalEntry): SignalWaitView {
  const signal = e.wait?.kind === 'signal' ? e.wait : null;
  return { stepId: e.stepId, status: e.status, signal: signal?.signal ?? null, output: e.output, deadline: signal?.deadline ?? null, finishedAt: e.finishedAt };
}
