import { Hono, type Context } from 'hono';
import type { z } from 'zod';
import { asRunId, type RunId } from '../engine/ids.ts';
import { cancelRefusalWords } from '../engine/cancel-refusals.ts';
import { retryRefusalWords, type OperatorRetryOutcome } from '../engine/retry-refusals.ts';
import { ErrorBody, RetryBody, RunDetail, RunList, RunsQuery, RunView } from './api-schemas.ts';
import { requireApiToken } from './api-auth.ts';
import type { AppDeps, AppEnv } from './app.ts';
import { jsonError, validationError } from './errors.ts';
import type { RouteDoc } from './openapi.ts';
import { journalEntryView, runSummaryView, runView } from './views.ts';
import { runsPage, runsQueryIssue } from './runs-page-query.ts';
import { queryParameterIssues } from './query-parameters.ts';
import { readBodyWithLimit } from './read-body.ts';
import { firstRepeatedKey, repeatedKeyPath } from './repeated-json-key.ts';
import { summarizeIssues } from '../../schemas/format-issues.ts';

/** The largest body of a retry: `{"recipe_version": "current"}` with room for spacing. */
const MAX_RETRY_BODY_BYTES = 4096;

/**
 * The operator's view of runs: list, inspect with the journal, retry a failed run, cancel a live one (or a
 * failed one that will not be retried).
 * A refused retry or cancel answers the engine's refusal in the words the console gives too.
 */
export function runRoutes(deps: AppDeps): Hono<AppEnv> {
  const { engine } = deps;
  const store = engine.store;
  const app = new Hono<AppEnv>();
  const auth = requireApiToken(deps.config.apiToken);

  app.get('/runs', auth, async (c) => {
    const unread = queryParameterIssues(c.req.queries(), Object.keys(RunsQuery.shape));
    if (unread.length > 0) return jsonError(c, 400, `the query is not valid: ${summarizeIssues(unread)}`, unread);
    const query = RunsQuery.safeParse(c.req.query());
    if (!query.success) return validationError(c, 'the query', query.error);
    const { limit, before, status, recipe, key } = query.data;
    const issue = await runsQueryIssue(store, engine.recipes.list().map((r) => r.definition.name), { before, recipe });
    if (issue) return jsonError(c, 400, `the query is not valid: ${issue.path}: ${issue.message}`, [issue]);
    const { runs, nextBefore } = await runsPage(store, { limit, before, status, recipe, key });
    const body: z.infer<typeof RunList> = { runs: runs.map(runSummaryView), nextBefore };
    return c.json(body);
  });

  app.get('/runs/:id', auth, async (c) => {
    const id = asRunId(c.req.param('id'));
    const run = await store.getRun(id);
    if (!run) return unknownRun(c, id);
    const journal = await store.getJournal(id);
    return c.json({ run: runView(run), journal: journal.map(journalEntryView) } satisfies z.infer<typeof RunDetail>);
  });

  /** A retry's answer: the run queued again, or the refusal in the words the console gives too (404 for no such run). */
  const retried = async (c: Context<AppEnv, '/runs/:id/retry'>, id: RunId, outcome: OperatorRetryOutcome) => {
    if (outcome.retried) return c.json(runView((await store.getRun(id))!));
    return jsonError(c, outcome.refusal.refused === 'no-run' ? 404 : 409, retryRefusalWords(id, outcome.refusal));
  };
  app.post('/runs/:id/retry', auth, async (c) => {
    const id = asRunId(c.req.param('id'));
    // No body (or an empty one): the version the run started on. `{"recipe_version": "current"}`: the
    // version served now, after the recipe that failed the run was fixed.
    // The body is `{}` or `{"recipe_version": "current"}`: a larger one is refused unread, not held in memory whole.
    const body = await readBodyWithLimit(c, MAX_RETRY_BODY_BYTES);
    if (!body.ok) return jsonError(c, 413, `the body is larger than ${MAX_RETRY_BODY_BYTES} bytes: send {} or {"recipe_version": "current"}`);
    const text = new TextDecoder().decode(body.bytes);
    if (text.trim() === '') return retried(c, id, await engine.retry(id));
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return jsonError(c, 400, 'the body must be JSON: {} or {"recipe_version": "current"}');
    }
    // `{"recipe_version": "current", "recipe_version": "started"}`: JSON.parse kept the last without a word.
    const repeated = firstRepeatedKey(text);
    if (repeated) {
      const issue = { path: repeatedKeyPath(repeated), message: 'written twice: say once which version the run goes on as ({} or {"recipe_version": "current"})' };
      return jsonError(c, 400, `the body is not valid: ${issue.path}: ${issue.message}`, [issue]);
    }
    const retry = RetryBody.safeParse(parsed);
    if (!retry.success) return validationError(c, 'the body', retry.error);
    return retried(c, id, await (retry.data.recipe_version === 'current' ? engine.retryOnCurrentVersion(id) : engine.retry(id)));
  });
  app.post('/runs/:id/cancel', auth, async (c) => {
    const id = asRunId(c.req.param('id'));
    const outcome = await engine.cancel(id);
    if (outcome.canceled) return c.json(runView(outcome.run));
    return jsonError(c, outcome.refusal.refused === 'no-run' ? 404 : 409, cancelRefusalWords(id, outcome.refusal));
  });

  return app;
}

function unknownRun(c: Context, id: string): Response {
  return jsonError(c, 404, `no run ${id}`);
}

const id = { id: 'Run id, e.g. `run_0mb1x2k3l4a1b2c3d4e5f6`' };
const noSuchRun = { description: 'No such run', schema: ErrorBody };

export const runDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/runs',
    tag: 'runs',
    summary: 'List runs, newest first',
    auth: true,
    query: RunsQuery,
    responses: {
      200: { description: 'A page of runs, each with its trigger summarised: its data only when small (at most 4096 bytes as JSON), its size (`dataBytes`) always; `GET /runs/:id` gives the whole', schema: RunList },
      400: { description: 'Bad query: a bad limit or status, a cursor that is no run, a recipe neither served nor with runs stored (the error names the recipes served), a parameter it does not take or one given twice', schema: ErrorBody },
    },
  },
  {
    method: 'get',
    path: '/runs/:id',
    tag: 'runs',
    summary: 'A run with its journal',
    auth: true,
    params: id,
    responses: { 200: { description: 'The run and each step’s input, output, attempts and timing', schema: RunDetail }, 404: noSuchRun },
  },
  {
    method: 'post',
    path: '/runs/:id/retry',
    tag: 'runs',
    summary: 'Retry a failed run from its failed step',
    description:
      'Without a body, the run goes on as the version of its recipe it started on. With `{"recipe_version": "current"}`, as the version served now (after a fix of the recipe that failed it), when that version has every step the run went through.',
    auth: true,
    params: id,
    body: { schema: RetryBody },
    responses: {
      200: { description: 'The run, queued again', schema: RunView },
      400: { description: 'A body that is not `{}` or `{"recipe_version": "current" | "started"}`, or that writes a key twice', schema: ErrorBody },
      413: { description: 'A body over 4096 bytes, refused unread', schema: ErrorBody },
      404: noSuchRun,
      409: { description: 'The run has not failed, or its recipe stopped it, or its trigger failed (no step ran); a canceled run names its cancellation and reason; another run of its concurrency_key has not finished (named); the current version lacks a step the run went through', schema: ErrorBody },
    },
  },
  {
    method: 'post',
    path: '/runs/:id/cancel',
    tag: 'runs',
    summary: 'Cancel a run that has not finished, or one that failed at a step (closes out a failure that will not be retried)',
    auth: true,
    params: id,
    responses: {
      200: { description: 'The canceled run', schema: RunView },
      404: noSuchRun,
      409: { description: 'The run has finished: completed, failed because its recipe stopped it (a stop step: its outcome), or canceled (naming the reason of that cancel); or it was retried while being canceled, at both tries of the cancel (not canceled: cancel it again). A run that failed at a step is canceled (200): ops close out a failure they will not retry', schema: ErrorBody },
    },
  },
];
