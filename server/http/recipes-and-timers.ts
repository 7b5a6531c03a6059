import { Hono } from 'hono';
import type { z } from 'zod';
import { ErrorBody, RecipeList, TimerList, TimersQuery } from './api-schemas.ts';
import { requireApiToken } from './api-auth.ts';
import type { AppDeps, AppEnv } from './app.ts';
import { validationError } from './errors.ts';
import type { RouteDoc } from './openapi.ts';
import { businessTimerView, timerView } from './views.ts';

/** What this runtime serves (`GET /recipes`) and what will happen when (`GET /timers`). */
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
    const query = TimersQuery.safeParse(c.req.query());
    if (!query.success) return validationError(c, 'the query', query.error);
    const { limit, after } = query.data;
    const [fireAt, id] = after ? after.split('.').map(Number) : [];
    const upcoming = after ? [] : await engine.store.listUpcoming({ limit });
    const pending = await engine.store.listBusinessTimers({ limit, after: after ? { fireAt: fireAt!, id: id! } : undefined });
    const last = pending.length === limit ? pending[pending.length - 1] : undefined;
    return c.json({
      timers: upcoming.map(timerView),
      business_timers: pending.map(businessTimerView),
      next_after: last ? `${last.fireAt}.${last.id}` : null,
    } satisfies z.infer<typeof TimerList>);
  });

  return app;
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
    summary: 'What will fire when: unfinished runs with a wake time, and pending business timers (timer triggers, e.g. D14 claim reminders) with their record, offset and fire time; each soonest first, business timers paged with `after`',
    auth: true,
    query: TimersQuery,
    responses: { 200: { description: 'Upcoming wake-ups', schema: TimerList }, 400: { description: 'Bad query', schema: ErrorBody } },
  },
];
