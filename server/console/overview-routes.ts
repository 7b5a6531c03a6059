import { Hono } from 'hono';
import { Cron } from 'croner';
import type { Recipe, Step } from '../../schemas/recipe.ts';
import { escalatedFrom, findStep } from './recipe-steps.ts';
import { runsPage as runsPageQuery } from '../http/runs-page-query.ts';
import type { Run } from '../store/store.ts';
import type { ConsoleEnv } from './console-auth.ts';
import type { ConsoleContext } from './console-routes.ts';
import { refusedPage } from './login-page.ts';
import { recipePage, recipesPage } from './recipes-page.ts';
import { businessTimerRow, pollRow, scheduleRow, timersPage, wakeRow, type TimerRow } from './timers-page.ts';
import { byRun } from './wait-words.ts';
import { waitingPage, type WaitingRow } from './waiting-page.ts';

/** Waiting runs per page of the waiting page. */
const WAITING_PAGE_SIZE = 100;
/** Rows of each kind the timers page reads (GET /timers pages through all of them). */
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
    const page = await runsPageQuery(store, { limit: WAITING_PAGE_SIZE, before, status: 'waiting' });
    const ids = page.runs.map((r) => r.id);
    const [waiting, retrying, approvals] = await Promise.all([store.waitingSteps(ids), store.retryingSteps(ids), store.openApprovals(ids)]);
    const runs = new Map<string, Run>(page.runs.map((r) => [r.id, r]));
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
    // The same reads as GET /timers, plus what each run waits for, the schedules and the polls.
    const [upcoming, pending, cursors] = await Promise.all([store.listUpcoming({ limit: TIMERS_LIMIT }), store.listBusinessTimers({ limit: TIMERS_LIMIT }), store.listPollCursors()]);
    const ids = upcoming.map((u) => u.runId);
    const [waiting, retrying, runs] = await Promise.all([store.waitingSteps(ids), store.retryingSteps(ids), Promise.all(ids.map((id) => store.getRun(id)))]);
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
    for (const { definition } of engine.recipes.list()) {
      if (definition.trigger.type !== 'schedule') continue;
      const next = new Cron(definition.trigger.cron, { timezone: definition.trigger.timezone, paused: true }).nextRun(new Date(now));
      if (next) rows.push(scheduleRow(definition.name, next.getTime(), definition));
    }
    for (const cursor of cursors) if (current(cursor.recipe)) rows.push(pollRow(cursor, current(cursor.recipe)));
    return c.html(timersPage(ctx.frame(c, 'timers'), rows, upcoming.length === TIMERS_LIMIT || pending.length === TIMERS_LIMIT));
  });

  app.get('/console/recipes', async (c) => {
    const recipes = engine.recipes
      .list()
      .map((r) => ({ definition: r.definition, file: r.file }))
      .sort((a, b) => a.definition.name.localeCompare(b.definition.name));
    const [counts, onDisk] = await Promise.all([store.runCountsSince(engine.clock.now() - WEEK_MS), checkOnDisk(ctx)]);
    return c.html(recipesPage(ctx.frame(c, 'recipes'), { recipes, counts, onDisk }));
  });

  app.get('/console/recipes/:name', async (c) => {
    const loaded = engine.recipes.get(c.req.param('name'));
    if (!loaded) return c.html(refusedPage(ctx.frame(c, 'recipes'), 'No such recipe', `This runtime serves no recipe named ${c.req.param('name')}.`, { href: '/console/recipes', label: 'All recipes' }), 404);
    const counts = await store.runCountsSince(engine.clock.now() - WEEK_MS);
    return c.html(recipePage(ctx.frame(c, 'recipes'), { definition: loaded.definition, file: loaded.file }, counts));
  });

  return app;
}

/** The recipe files on disk checked now; a folder that is gone is a problem of its own, not a 500. */
async function checkOnDisk(ctx: ConsoleContext) {
  const check = ctx.deps.checkRecipeFiles;
  if (!check) return undefined;
  try {
    return await check();
  } catch (error) {
    const file = ctx.deps.config.recipesDir;
    return [{ file, problems: [{ file, path: '', message: error instanceof Error ? error.message : String(error) }] }];
  }
}
