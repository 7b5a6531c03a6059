import { Hono } from 'hono';
import type { Recipe, Step } from '../../schemas/recipe.ts';
import { escalatedFrom, findStep } from './recipe-steps.ts';
import { TimersQuery } from '../http/api-schemas.ts';
import { runCursor, runCursorOf, timerCursor, timerCursorOf } from '../http/recipes-and-timers.ts';
import { runsPage as runsPageQuery } from '../http/runs-page-query.ts';
import type { RunSummary } from '../store/store.ts';
import type { ConsoleEnv } from './console-auth.ts';
import type { ConsoleContext } from './console-routes.ts';
import { refusedPage } from './login-page.ts';
import { cursorProblem } from './page-cursor.ts';
import { recipePage, recipesPage } from './recipes-page.ts';
import type { RecipeFileCheck } from '../recipes/check-recipe-files.ts';
import type { TableFilesCheck } from '../recipes/check-table-files.ts';
import { loadTables, type Tables } from '../engine/tables.ts';
import { readUpcomingTriggers } from '../engine/upcoming-triggers.ts';
import { businessTimerRow, pollRow, scheduleRow, timersPage, wakeRow, type TimerRow } from './timers-page.ts';
import { byRun } from './wait-words.ts';
import { waitingPage, type WaitingRow } from './waiting-page.ts';

/** Waiting runs per page of the waiting page. */
const WAITING_PAGE_SIZE = 100;
/** Rows of each list (run wake-ups, business timers) per page of the timers page. */
const TIMERS_LIMIT = 100;
const WEEK_MS = 7 * 24 * 3600_000;

/** The waiting, timers and recipes pages. */
export function overviewRoutes(ctx: ConsoleContext): Hono<ConsoleEnv> {
  const { engine } = ctx.deps;
  const store = engine.store;
  const app = new Hono<ConsoleEnv>();
  const current = (name: string): Recipe | undefined => engine.recipes.get(name)?.definition;

  app.get('/console/waiting', async (c) => {
    const before = c.req.query('before') || undefined;
    // A cursor that is no run would list from the newest as if it were a later page: said, 400, as GET /runs does.
    const problem = await cursorProblem(store, before);
    if (problem) return c.html(refusedPage(ctx.frame(c, 'waiting'), problem.title, problem.words, { href: '/console/waiting', label: 'The first page: the newest waiting runs' }), 400);
    const page = await runsPageQuery(store, { limit: WAITING_PAGE_SIZE, before, status: 'waiting' });
    const ids = page.runs.map((r) => r.id);
    const [waiting, retrying, approvals] = await Promise.all([store.waitingSteps(ids), store.retryingSteps(ids), store.openApprovals(ids)]);
    const runs = new Map<string, RunSummary>(page.runs.map((r) => [r.id, r]));
    const rows: WaitingRow[] = await Promise.all(
      waiting.map(async (entry) => {
        const run = runs.get(entry.runId)!;
        const signal = entry.wait?.kind === 'signal' ? entry.wait.signal : undefined;
        const recipe = await engine.recipes.byHash(run.recipeHash).catch(() => undefined);
        return { run, entry, approvals: signal ? approvals.filter((a) => a.runId === entry.runId && a.signal === signal) : [], description: recipe ? findStep(recipe, entry.stepId)?.description : undefined, escalatedFrom: recipe ? escalatedFrom(recipe, entry.stepId) : undefined };
      }),
    );
    return c.html(
      waitingPage(ctx.frame(c, 'waiting'), {
        approvals: rows.filter((r) => r.entry.wait?.kind === 'signal'),
        others: rows.filter((r) => r.entry.wait?.kind !== 'signal'),
        retrying: retrying.map((entry) => ({ run: runs.get(entry.runId)!, entry })),
        nextBefore: page.nextBefore,
      }),
    );
  });

  app.get('/console/timers', async (c) => {
    const now = engine.clock.now();
    // The cursors of GET /timers: each list pages on its own; a page with a cursor lists only its lists.
    // `runs_after`: the former name of runsAfter, in links made before it was renamed.
    const query = TimersQuery.pick({ after: true, runsAfter: true }).safeParse({ after: c.req.query('after') || undefined, runsAfter: c.req.query('runsAfter') || c.req.query('runs_after') || undefined });
    if (!query.success) {
      return c.html(refusedPage(ctx.frame(c, 'timers'), 'No such page', 'This link is not a page of this list (a page link of the timers page carries where the page before it ended).', { href: '/console/timers', label: 'The soonest timers' }), 400);
    }
    const { after, runsAfter } = query.data;
    const paged = after !== undefined || runsAfter !== undefined;
    const [upcoming, pending, triggers] = await Promise.all([
      !paged || runsAfter ? store.listUpcoming({ limit: TIMERS_LIMIT, after: runsAfter ? runCursor(runsAfter) : undefined }) : [],
      !paged || after ? store.listBusinessTimers({ limit: TIMERS_LIMIT, after: after ? timerCursor(after) : undefined }) : [],
      // Schedules and polls are a handful: the first page shows them all.
      paged ? { schedules: [], polls: [] } : readUpcomingTriggers(store, engine.recipes, now),
    ]);
    const ids = upcoming.map((u) => u.runId);
    // Summaries, one query: a waking run's trigger may hold a lead import's every row, and the page shows its key.
    const [waiting, retrying, listed] = await Promise.all([store.waitingSteps(ids), store.retryingSteps(ids), store.listRunSummaries({ ids, limit: Math.max(1, ids.length) })]);
    const byId = new Map(listed.map((run) => [run.id as string, run]));
    const runs = ids.map((id) => byId.get(id));
    const w = byRun(waiting);
    const r = byRun(retrying);
    const rows: TimerRow[] = [];
    for (const [i, wake] of upcoming.entries()) {
      const run = runs[i];
      const recipe = run ? await engine.recipes.byHash(run.recipeHash).catch(() => undefined) : current(wake.recipe);
      const entry = w.get(wake.runId)?.find((e) => e.stepKey === wake.stepKey) ?? w.get(wake.runId)?.[0];
      rows.push(wakeRow(wake, run?.correlationKey ?? null, entry, r.get(wake.runId)?.[0], recipe, (stepId) => Boolean(recipe && (findStep(recipe, stepId) as { on_timeout?: Step[] } | undefined)?.on_timeout)));
    }
    for (const timer of pending) rows.push(businessTimerRow(timer, current(timer.recipe)));
    for (const schedule of triggers.schedules) if (schedule.firesAt !== null) rows.push(scheduleRow(schedule.recipe.name, schedule.firesAt, schedule.recipe));
    for (const poll of triggers.polls) rows.push(pollRow(poll));
    // A full list may have more: the next page goes on from the last row of each full list.
    const next = new URLSearchParams();
    const lastRun = upcoming.length === TIMERS_LIMIT ? upcoming[upcoming.length - 1] : undefined;
    const lastTimer = pending.length === TIMERS_LIMIT ? pending[pending.length - 1] : undefined;
    if (lastRun) next.set('runsAfter', runCursorOf(lastRun));
    if (lastTimer) next.set('after', timerCursorOf(lastTimer));
    return c.html(timersPage(ctx.frame(c, 'timers'), rows, { paged, next: next.size > 0 ? `/console/timers?${next.toString()}` : null }));
  });

  app.get('/console/recipes', async (c) => {
    const recipes = engine.recipes
      .list()
      .map((r) => ({ definition: r.definition, file: r.file }))
      .sort((a, b) => a.definition.name.localeCompare(b.definition.name));
    const [counts, onDisk] = await Promise.all([store.runCountsSince(engine.clock.now() - WEEK_MS), checkOnDisk(ctx)]);
    const tables = { atStart: engine.tables, dir: ctx.deps.tableFiles?.dir, onDisk: checkTablesOnDisk(ctx, recipes, onDisk) };
    return c.html(recipesPage(ctx.frame(c, 'recipes'), { recipes, counts, onDisk, tables }));
  });

  app.get('/console/recipes/:name', async (c) => {
    const loaded = engine.recipes.get(c.req.param('name'));
    if (!loaded) return c.html(refusedPage(ctx.frame(c, 'recipes'), 'No such recipe', `This runtime serves no recipe named ${c.req.param('name')}.`, { href: '/console/recipes', label: 'All recipes' }), 404);
    const counts = await store.runCountsSince(engine.clock.now() - WEEK_MS);
    return c.html(recipePage(ctx.frame(c, 'recipes'), { definition: loaded.definition, file: loaded.file }, counts, { atStart: engine.tables, dir: ctx.deps.tableFiles?.dir }));
  });

  return app;
}

/**
 * The recipe files on disk checked now, with the table rows on disk now (a template name a table gives
 * is followed through the rows the next start reads; when the table folder does not load, the rows read
 * at start, and the folder's own problem shows with the tables); a folder that is gone is a problem of
 * its own, not a 500.
 */
async function checkOnDisk(ctx: ConsoleContext) {
  const check = ctx.deps.checkRecipeFiles;
  if (!check) return undefined;
  let rows: Tables | undefined;
  if (ctx.deps.tableFiles) {
    try {
      rows = loadTables(ctx.deps.tableFiles.dir);
    } catch {
      rows = undefined;
    }
  }
  try {
    return await check(rows);
  } catch (error) {
    const file = ctx.deps.config.recipesDir;
    return [{ file, problems: [{ file, path: '', message: error instanceof Error ? error.message : String(error) }] }];
  }
}

/**
 * The table files on disk now, checked against the recipes a start would read (the recipe files on disk
 * that validate; the recipes served when they were given in code), as `validate` checks them; a folder
 * that cannot be read is a problem of its own, not a 500. Undefined when the tables were given in code.
 */
function checkTablesOnDisk(ctx: ConsoleContext, served: readonly { definition: Recipe; file: string }[], onDisk: RecipeFileCheck[] | undefined): TableFilesCheck | undefined {
  const files = ctx.deps.tableFiles;
  if (!files) return undefined;
  const recipes = onDisk ? onDisk.flatMap((c) => (c.definition ? [{ definition: c.definition, file: c.file }] : [])) : served;
  try {
    return files.check(recipes);
  } catch (error) {
    return { tables: undefined, problems: [{ table: '', message: `${files.dir}: ${error instanceof Error ? error.message : String(error)}` }] };
  }
}
