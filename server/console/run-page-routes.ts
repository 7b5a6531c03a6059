import { Hono, type Context } from 'hono';
import type { Recipe } from '../../schemas/recipe.ts';
import { asRunId, type RunId } from '../engine/ids.ts';
import { runsPage as runsPageQuery, runsQueryIssue } from '../http/runs-page-query.ts';
import { cancelRefusalOf, cancelRefusalWords } from '../engine/cancel-refusals.ts';
import { retryRefusalWords, type CurrentVersionRefusal, type OperatorRetryOutcome } from '../engine/retry-refusals.ts';
import type { RetryRefusal, Run, RunStatus } from '../store/store.ts';
import { retryRefusalOf } from '../store/retry-refusal.ts';
import type { ConsoleEnv } from './console-auth.ts';
import type { ConsoleContext } from './console-routes.ts';
import { refusedPage } from './login-page.ts';
import { actionRefusedPage, CANNOT_RETRY, canRetry, confirmPage, runPage, type ActionRefusal, type RetryRefusedUpFront } from './run-page.ts';
import { cursorProblem } from './page-cursor.ts';
import { RUN_STATUSES, runsPage, runsQueryString } from './runs-page.ts';
import { byRun, type RunWaits } from './wait-words.ts';

/** Rows per page of the runs page. */
const PAGE_SIZE = 50;

/** What a finished action says on the run page it redirects to (`?done=`). */
const OUTCOMES: Record<string, string> = {
  retried: 'The run was queued again: it continues from its failed step.',
  canceled: 'The run was canceled.',
};

/** The runs page, a run's page, and the retry and cancel actions with their confirmation step. */
export function runPageRoutes(ctx: ConsoleContext): Hono<ConsoleEnv> {
  const { engine } = ctx.deps;
  const store = engine.store;
  const app = new Hono<ConsoleEnv>();
  /** A refused retry as the page shows it: the API's words, and the run holding the key when that is why. */
  const retryRefusalShown = async (id: RunId, refusal: RetryRefusal | CurrentVersionRefusal): Promise<ActionRefusal> => ({
    words: retryRefusalWords(id, refusal),
    holder: refusal.refused === 'held-by-live-run' ? { id: refusal.runId, run: await store.getRun(refusal.runId), concurrencyKey: refusal.concurrencyKey } : undefined,
  });

  app.get('/console/runs', async (c) => {
    const q = c.req.query();
    // A status the page does not know would list every run as if no filter was given: say so.
    if (q.status && !(RUN_STATUSES as readonly string[]).includes(q.status)) {
      return badFilter(c, ctx, `"${q.status}" is not a run status: choose ${RUN_STATUSES.slice(0, -1).join(', ')} or ${RUN_STATUSES.at(-1)}.`);
    }
    const status = q.status ? (q.status as RunStatus) : undefined;
    const filters = { recipe: q.recipe || undefined, status, key: q.key?.trim() || undefined };
    // A cursor that is no run (or no run id): a stale link, said, 400, as GET /runs does; the first page keeps the filters.
    const problem = await cursorProblem(store, q.before || undefined);
    if (problem) return c.html(refusedPage(ctx.frame(c, 'runs'), problem.title, problem.words, { href: `/console/runs${runsQueryString(filters)}`, label: 'The first page: the newest runs' }), 400);
    // A recipe neither served nor with runs stored: said, as GET /runs does.
    const issue = await runsQueryIssue(store, engine.recipes.list().map((x) => x.definition.name), { recipe: filters.recipe });
    if (issue) return badFilter(c, ctx, `${issue.message.charAt(0).toUpperCase()}${issue.message.slice(1)}.`);
    const page = await runsPageQuery(store, { limit: PAGE_SIZE, before: q.before || undefined, ...filters });
    const ids = page.runs.map((r) => r.id);
    // Only unfinished runs wait for anything: a finished page asks the journal nothing.
    const live = page.runs.filter((r) => r.finishedAt === null).map((r) => r.id);
    const [waiting, retrying] = await Promise.all([store.waitingSteps(live), store.retryingSteps(live)]);
    const w = byRun(waiting);
    const r = byRun(retrying);
    const waits = new Map<string, RunWaits>(ids.map((id) => [id, { waiting: w.get(id) ?? [], retrying: r.get(id) ?? [] }]));
    const recipes = engine.recipes.list().map((x) => x.definition.name).sort();
    return c.html(runsPage(ctx.frame(c, 'runs'), { runs: page.runs, waits, nextBefore: page.nextBefore, paged: Boolean(q.before), filters, recipes, now: engine.clock.now() }));
  });

  app.get('/console/runs/:id', async (c) => {
    const run = await store.getRun(asRunId(c.req.param('id')));
    if (!run) return unknownRun(c, ctx, c.req.param('id'));
    const [journal, recipe] = await Promise.all([store.getJournal(run.id), recipeOf(ctx, run)]);
    const done = c.req.query('done');
    const current = engine.recipes.get(run.recipe);
    const newerVersion = current && current.hash !== run.recipeHash ? current.definition.version : undefined;
    const retryRefused = await retryRefusedUpFront(run, newerVersion !== undefined);
    return c.html(runPage(ctx.frame(c, 'runs'), { run, journal, recipe, now: engine.clock.now(), outcome: done ? OUTCOMES[done] : undefined, newerVersion, retryRefused }));
  });

  /**
   * What the retries of a failed run would answer now, for its page to say before any button: the run's
   * own reason (its status and error, no read), else the store's (another run holds its concurrency key:
   * one read), else, when its recipe changed since, the engine's for the version served now. A run that
   * is not failed offers no retry and is asked nothing.
   */
  const retryRefusedUpFront = async (run: Run, newerVersion: boolean): Promise<RetryRefusedUpFront | undefined> => {
    if (run.status !== 'failed') return undefined;
    const own = retryRefusalOf(run);
    if (own) return { retry: await retryRefusalShown(run.id, own) };
    // A failed run with no failed step offers no retry (canRetry): nothing to say of one.
    if (!canRetry(run)) return undefined;
    const refusal = await engine.retryRefusal(run);
    if (refusal) return { retry: await retryRefusalShown(run.id, refusal) };
    const onCurrent = newerVersion ? await engine.retryRefusal(run, { currentVersion: true }) : undefined;
    return onCurrent && { retryCurrent: await retryRefusalShown(run.id, onCurrent) };
  };

  /**
   * The confirmation page of an action; when the run refuses it already (it is not failed any more,
   * another run holds its concurrency key, ...), that refusal instead, up front, with no button.
   */
  const confirmation = (name: 'retry' | 'retry-current' | 'cancel', refusalOf: (run: Run) => Promise<ActionRefusal | undefined>) => {
    app.get(`/console/runs/:id/${name}`, async (c) => {
      const run = await store.getRun(asRunId(c.req.param('id')));
      if (!run) return unknownRun(c, ctx, c.req.param('id'));
      const refusal = await refusalOf(run);
      if (refusal) return refused(c, ctx, name === 'cancel' ? 'Cannot cancel this run' : CANNOT_RETRY, run, refusal);
      return c.html(confirmPage(ctx.frame(c, 'runs'), run, name, c.get('csrf')));
    });
  };
  // The same engine operations as POST /runs/:id/retry, with the same refusal in the same words: asked
  // before the confirmation page offers its button, and answered after it (the run may have changed).
  const retry = (name: 'retry' | 'retry-current', act: (id: RunId) => Promise<OperatorRetryOutcome>) => {
    confirmation(name, async (run) => {
      const refusal = (await engine.retryRefusal(run, { currentVersion: name === 'retry-current' })) ?? (canRetry(run) ? undefined : { refused: 'not-failed' as const, status: run.status });
      return refusal && retryRefusalShown(run.id, refusal);
    });
    app.post(`/console/runs/:id/${name}`, async (c) => {
      const forged = await ctx.refuseForgedPost(c);
      if (forged) return forged;
      const id = asRunId(c.req.param('id'));
      const outcome = await act(id);
      if (outcome.retried) return c.redirect(`/console/runs/${id}?done=retried`, 303);
      const run = outcome.refusal.refused === 'no-run' ? undefined : await store.getRun(id);
      if (!run) return unknownRun(c, ctx, id);
      return refused(c, ctx, 'Not done', run, await retryRefusalShown(id, outcome.refusal));
    });
  };
  retry('retry', (id) => engine.retry(id));
  retry('retry-current', (id) => engine.retryOnCurrentVersion(id));

  // The same engine operation as POST /runs/:id/cancel, with the same refusal in the same words.
  confirmation('cancel', async (run) => {
    const refusal = cancelRefusalOf(run);
    return refusal && { words: cancelRefusalWords(run.id, refusal) };
  });
  app.post('/console/runs/:id/cancel', async (c) => {
    const forged = await ctx.refuseForgedPost(c);
    if (forged) return forged;
    const id = asRunId(c.req.param('id'));
    const outcome = await engine.cancel(id, 'canceled by an operator in the console');
    if (outcome.canceled) return c.redirect(`/console/runs/${id}?done=canceled`, 303);
    if (!outcome.run) return unknownRun(c, ctx, id);
    return refused(c, ctx, 'Not done', outcome.run, { words: cancelRefusalWords(id, outcome.refusal) });
  });

  return app;
}

/** The definition the run started with (its version), or undefined when the store lost it. */
async function recipeOf(ctx: ConsoleContext, run: Run): Promise<Recipe | undefined> {
  try {
    return await ctx.deps.engine.recipes.byHash(run.recipeHash);
  } catch {
    return undefined;
  }
}

function badFilter(c: Context<ConsoleEnv>, ctx: ConsoleContext, why: string): Response | Promise<Response> {
  return c.html(refusedPage(ctx.frame(c, 'runs'), 'Runs not listed', why, { href: '/console/runs', label: 'All runs' }), 400);
}

function unknownRun(c: Context<ConsoleEnv>, ctx: ConsoleContext, id: string): Response | Promise<Response> {
  return c.html(refusedPage(ctx.frame(c, 'runs'), 'No such run', `There is no run ${id}.`, { href: '/console/runs', label: 'Back to the runs' }), 404);
}

/** The refusal page of an action (409), before its button or after it: the reason, as the API words it. */
function refused(c: Context<ConsoleEnv>, ctx: ConsoleContext, title: string, run: Run, refusal: ActionRefusal): Response | Promise<Response> {
  return c.html(actionRefusedPage(ctx.frame(c, 'runs'), title, run, refusal), 409);
}
