import { Hono } from 'hono';
import type { z } from 'zod';
import { ErrorBody, FORMER_TIMERS_QUERY, RecipeList, TimerList, TimersQuery } from './api-schemas.ts';
import { requireApiToken } from './api-auth.ts';
import type { AppDeps, AppEnv } from './app.ts';
import { jsonError, validationError } from './errors.ts';
import { queryParameterIssues } from './query-parameters.ts';
import { summarizeIssues } from '../../schemas/format-issues.ts';
import type { RouteDoc } from './openapi.ts';
import { asRunId, type RunId } from '../engine/ids.ts';
import { readUpcomingTriggers } from '../engine/upcoming-triggers.ts';
import { businessTimerView, pollView, scheduleView, timerView } from './views.ts';

/** What this runtime serves (`GET /recipes`) and what will happen when (`GET /timers`: runs, business timers, schedules, polls). */
export function recipeAndTimerRoutes(deps: AppDeps): Hono<AppEnv> {
  const { engine } = deps;
  const app = new Hono<AppEnv>();
  const auth = requireApiToken(deps.config.apiToken);

  app.get('/recipes', auth, (c) => {
    const recipes = engine.recipes.list().map(({ definition, hash }) => ({
      name: definition.name,
      version: definition.version,
      hash,
      description: definition.description,
      trigger: definition.trigger,
    }));
    recipes.sort((a, b) => a.name.localeCompare(b.name));
    return c.json({ recipes } satisfies z.infer<typeof RecipeList>);
  });

  app.get('/timers', auth, async (c) => {
    const unread = queryParameterIssues(c.req.queries(), Object.keys(TimersQuery.shape), Object.keys(FORMER_TIMERS_QUERY.shape));
    if (unread.length > 0) return jsonError(c, 400, `the query is not valid: ${summarizeIssues(unread)}`, unread);
    const query = TimersQuery.safeParse(c.req.query());
    if (!query.success) return validationError(c, 'the query', query.error);
    const former = FORMER_TIMERS_QUERY.safeParse(c.req.query());
    if (!former.success) return validationError(c, 'the query', former.error);
    if (query.data.runsAfter !== undefined && former.data.runs_after !== undefined) {
      const issue = { path: 'runs_after', message: 'the former name of runsAfter: give runsAfter alone' };
      return jsonError(c, 400, `the query is not valid: ${issue.path}: ${issue.message}`, [issue]);
    }
    const { limit, after } = query.data;
    const runsAfter = query.data.runsAfter ?? former.data.runs_after;
    // Each list pages with its own cursor; the first page (no cursor) lists both.
    const listRuns = runsAfter !== undefined || after === undefined;
    const listTimers = after !== undefined || runsAfter === undefined;
    // Schedules and polls are one per recipe, a handful: the first page lists them all.
    const firstPage = after === undefined && runsAfter === undefined;
    const [upcoming, pending, triggers] = await Promise.all([
      listRuns ? engine.store.listUpcoming({ limit, after: runsAfter ? runCursor(runsAfter) : undefined }) : [],
      listTimers ? engine.store.listBusinessTimers({ limit, after: after ? timerCursor(after) : undefined }) : [],
      firstPage ? readUpcomingTriggers(engine.store, engine.recipes, engine.clock.now()) : { schedules: [], polls: [] },
    ]);
    const lastTimer = pending.length === limit ? pending[pending.length - 1] : undefined;
    const lastRun = upcoming.length === limit ? upcoming[upcoming.length - 1] : undefined;
    const nextAfter = lastTimer ? timerCursorOf(lastTimer) : null;
    const nextRunsAfter = lastRun ? runCursorOf(lastRun) : null;
    return c.json({
      timers: upcoming.map(timerView),
      business_timers: pending.map(businessTimerView),
      schedules: triggers.schedules.map(scheduleView),
      polls: triggers.polls.map(pollView),
      nextAfter,
      nextRunsAfter,
      // Their former names, for clients written before the cursors were camelCase (deprecated).
      next_after: nextAfter,
      next_runs_after: nextRunsAfter,
    } satisfies z.infer<typeof TimerList>);
  });

  return app;
}


/** The cursor of the page after this business timer (`nextAfter`). */
export function timerCursorOf(timer: { fireAt: number; id: number }): string {
  return `${timer.fireAt}.${timer.id}`;
}

/** The cursor of the page after this run wake-up (`nextRunsAfter`). */
export function runCursorOf(wake: { wakeAt: number; runId: RunId }): string {
  return `${wake.wakeAt}.${wake.runId}`;
}

/** `<fire time>.<id>` of a business timer (checked by TimersQuery). */
export function timerCursor(cursor: string): { fireAt: number; id: number } {
  const [fireAt, id] = cursor.split('.').map(Number);
  return { fireAt: fireAt!, id: id! };
}

/** `<wake time>.<run id>` of a run (checked by TimersQuery). */
export function runCursor(cursor: string): { wakeAt: number; runId: RunId } {
  const dot = cursor.indexOf('.');
  return { wakeAt: Number(cursor.slice(0, dot)), runId: asRunId(cursor.slice(dot + 1)) };
}

export const recipeAndTimerDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/recipes',
    tag: 'recipes',
    summary: 'The recipes this runtime serves (current versions)',
    auth: true,
    responses: { 200: { description: 'Recipes by name', schema: RecipeList } },
  },
  {
    method: 'get',
    path: '/timers',
    tag: 'timers',
    summary:
      'What will fire when: unfinished runs with a wake time, pending business timers (timer triggers, e.g. D14 claim reminders) with their record, offset and fire time, ' +
      "the recipes' schedules (cron triggers) with their next fire time, and their polls (poll triggers) with their next poll time and failures in a row; each list soonest first. " +
      'Run wake-ups and business timers page, each with its own cursor: run wake-ups with `runsAfter` (the `nextRunsAfter` of the previous page), business timers with `after` (`nextAfter`); a page without a cursor lists both, and all the schedules and polls; a cursor lists only its own list. 400 for a bad cursor or a limit outside 1 to 200. ' +
      'The cursors are camelCase as `nextBefore` of `GET /runs`; their former names `next_after`, `next_runs_after` (answered too, the same values) and `runs_after` (still read, never with `runsAfter`) are deprecated.',
    auth: true,
    query: TimersQuery,
    responses: { 200: { description: 'Upcoming wake-ups, business timers, schedules and polls', schema: TimerList }, 400: { description: 'Bad query: a bad limit or cursor, a parameter it does not take or one given twice', schema: ErrorBody } },
  },
];
