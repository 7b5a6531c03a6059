import { Hono } from 'hono';
import { z } from 'zod';
import type { OffsetClock } from '../engine/clock.ts';
import { requireApiToken } from './api-auth.ts';
import type { AppDeps, AppEnv } from './app.ts';
import { jsonError, validationError } from './errors.ts';
import { readMockJson } from './mock-json-body.ts';
import { iso } from './views.ts';

/** The body of `PUT /_test/clock`: how far ahead of real time the clock is to be (it only goes forward). */
const SetTestClock = z.strictObject({ offset_ms: z.number().int().min(0) });

/**
 * TEST ONLY: `GET`/`PUT /_test/clock`, mounted only when PARTNERFLOW_TEST_CLOCK_OFFSET_MS is set (which
 * the configuration refuses on a host other than loopback, and in mock mode), behind the API token, and
 * left out of the OpenAPI document. The replica test moves the clock of every process to the same
 * offset ahead of real time: a set, not an advance, so telling a replica twice (a retry) moves it once,
 * and a replica restarted meanwhile starts at that offset from its environment. Like mock mode's
 * `/_mock/clock/advance` it then wakes the engine (`clockMoved`), whose worker claims what fell due at
 * the new time. Unlike it, it does not stop at each timer on the way: with several replicas no one
 * process could, so what fell due fires at the new time (the test crosses at most one deadline of a
 * run per move).
 */
export function testClockRoutes(deps: AppDeps, clock: OffsetClock): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const auth = requireApiToken(deps.config.apiToken);
  const view = () => ({ now: iso(clock.now()), offset_ms: clock.offsetMs });

  app.get('/_test/clock', auth, (c) => c.json(view()));

  app.put('/_test/clock', auth, async (c) => {
    const body = await readMockJson(c);
    if (!body.ok) return body.response;
    const parsed = SetTestClock.safeParse(body.json);
    if (!parsed.success) return validationError(c, 'the body', parsed.error);
    const { offset_ms: offset } = parsed.data;
    if (offset < clock.offsetMs) return jsonError(c, 409, `the clock is already ${clock.offsetMs} ms ahead; it does not go backwards`, [{ path: 'offset_ms', message: 'below the current offset' }]);
    if (offset > clock.offsetMs) {
      clock.advance(offset - clock.offsetMs);
      deps.log.warn({ offsetMs: offset, now: iso(clock.now()) }, 'test clock moved forward (PUT /_test/clock)');
      deps.engine.clockMoved();
    }
    return c.json(view());
  });

  return app;
}
