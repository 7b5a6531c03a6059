import { Hono } from 'hono';
import type { z } from 'zod';
import { ErrorBody, RecipeList, TimerList, TimersQuery } from './api-schemas.ts';
import { requireApiToken } from './api-auth.ts';
import type { AppDeps, AppEnv } from './app.ts';
import { validationError } from './errors.ts';
import type { RouteDoc } from './openapi.ts';
import { timerView } from './views.ts';

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
    const upcoming = await engine.store.listUpcoming({ limit: query.data.limit });
    return c.json({ timers: upcoming.map(timerView) } satisfies z.infer<typeof TimerList>);
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
    summary: 'What will fire when: unfinished runs with a wake time, soonest first',
    auth: true,
    query: TimersQuery,
    responses: { 200: { description: 'Upcoming wake-ups', schema: TimerList }, 400: { description: 'Bad query', schema: ErrorBody } },
  },
];
