import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppDeps } from '../http/app.ts';
import type { StoreRefusalLog } from '../http/store-refusal-log.ts';
import { StoreUnavailableError } from '../store/store-unavailable.ts';
import { pathForLog } from '../http/errors.ts';
import { CONSOLE_CSS } from './assets/console-style.ts';
import { CONSOLE_JS } from './assets/console-script.ts';
import { CONSOLE_CSP, ConsoleAuth, safeNext, type ConsoleEnv } from './console-auth.ts';
import type { NavId, PageFrame } from './console-layout.ts';
import { loginPage, refusedPage } from './login-page.ts';
import { mockPageRoutes } from './mock-page-routes.ts';
import { overviewRoutes } from './overview-routes.ts';
import { runPageRoutes } from './run-page-routes.ts';

/** The largest body a console POST may have (login, retry, cancel, clock, logout: a few hundred bytes each). */
export const CONSOLE_FORM_MAX_BYTES = 16 * 1024;

/** What the console's route files share: the app's dependencies, the auth, and how to frame a page. */
export interface ConsoleContext {
  deps: AppDeps;
  auth: ConsoleAuth;
  frame(c: Context<ConsoleEnv>, current: NavId): PageFrame;
  /** Answers 403 with a page unless the POST carries its session's CSRF token; undefined when it does. */
  refuseForgedPost(c: Context<ConsoleEnv>): Promise<Response | undefined>;
}

/**
 * The ops console under /console: server-rendered pages over the same store queries and engine
 * operations as the operator API. Every response carries the console's Content-Security-Policy; every
 * page needs a session when PARTNERFLOW_API_TOKEN is set; every POST needs the CSRF token.
 */
export function consoleRoutes(deps: AppDeps, storeRefused: StoreRefusalLog): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const auth = new ConsoleAuth({
    store: deps.engine.store,
    apiToken: deps.config.apiToken,
    secureCookies: deps.config.publicBaseUrl.startsWith('https:'),
    // A login lasts 12 hours of the operator's day: in mock mode the engine's clock is virtual and the
    // Clock page moves it days ahead at a click, which must not log the operator out.
    now: deps.mock ? () => Date.now() : () => deps.engine.clock.now(),
  });
  const mock = deps.mock !== undefined;
  const frame = (c: Context<ConsoleEnv>, current: NavId): PageFrame => ({ current, mock, csrf: current === 'login' ? null : (c.get('csrf') ?? null), loginRequired: auth.loginRequired });

  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    // How long the page took in this process (the browser's developer tools show it; the bench reads it).
    c.res.headers.set('Server-Timing', `console;dur=${(performance.now() - started).toFixed(1)}`);
    c.res.headers.set('Content-Security-Policy', c.res.headers.get('Content-Security-Policy') ?? CONSOLE_CSP);
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
    c.res.headers.set('Referrer-Policy', 'same-origin');
    if (!c.res.headers.has('Cache-Control')) c.res.headers.set('Cache-Control', 'no-store');
  });

  // A console form is a few hundred bytes. Unlimited, one POST to the login page, which anyone who reaches
  // the console may send, was held in memory whole (300 MB took the process from 125 MB to 1.3 GB).
  app.use(
    '/console/*',
    bodyLimit({
      maxSize: CONSOLE_FORM_MAX_BYTES,
      onError: (c) =>
        c.html(refusedPage(frame(c, 'none'), 'Refused: the form is too large', `A console form is a few hundred bytes; this one was over ${CONSOLE_FORM_MAX_BYTES / 1024} KB, so it was not read and nothing was done.`, { href: '/console/runs', label: 'Back to the runs' }), 413),
    }),
  );

  // `npm start`, then http://127.0.0.1:3000/ is the console.
  app.get('/', (c) => c.redirect('/console/runs', 303));
  app.get('/console/assets/console.css', (c) => c.body(CONSOLE_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'no-cache' }));
  app.get('/console/assets/console.js', (c) => c.body(CONSOLE_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' }));

  app.get('/console/login', (c) => {
    const next = safeNext(c.req.query('next'));
    if (!auth.loginRequired) return c.redirect(next, 303);
    return c.html(loginPage(frame(c, 'login'), { nonce: auth.loginNonce(c), next }));
  });

  app.post('/console/login', async (c) => {
    if (!auth.loginRequired) return c.redirect('/console/runs', 303);
    const form = await c.req.parseBody();
    const next = safeNext(typeof form.next === 'string' ? form.next : undefined);
    // A refused login is logged (never what was typed), so that someone guessing the token is seen.
    const refused = (why: string) => deps.log.warn({ why }, 'console login refused');
    if (!auth.loginNonceMatches(c, form.csrf)) {
      refused('the form was not one this console gave (or it expired)');
      return c.html(loginPage(frame(c, 'login'), { nonce: auth.loginNonce(c), next, error: 'This login form was not the one this console gave you (or it expired): log in again.' }), 403);
    }
    if (typeof form.token !== 'string' || !auth.tokenMatches(form.token)) {
      refused('not the operator token');
      return c.html(loginPage(frame(c, 'login'), { nonce: auth.loginNonce(c), next, error: 'That is not the operator token (PARTNERFLOW_API_TOKEN).' }), 401);
    }
    await auth.logIn(c);
    return c.redirect(next, 303);
  });

  app.use('/console/*', auth.requireSession());
  app.use('/console', auth.requireSession());

  const ctx: ConsoleContext = {
    deps,
    auth,
    frame,
    async refuseForgedPost(c) {
      const form = await c.req.parseBody();
      if (auth.csrfMatches(c, form.csrf)) return undefined;
      return c.html(
        refusedPage(frame(c, 'none'), 'Refused: this form did not come from this console', 'The form had no CSRF token, or not the one of your session, so nothing was done. Open the page again from the console and repeat the action.', { href: '/console/runs', label: 'Back to the runs' }),
        403,
      );
    },
  };

  app.post('/console/logout', async (c) => {
    const refused = await ctx.refuseForgedPost(c);
    if (refused) return refused;
    await auth.logOut(c);
    return c.redirect('/console/login', 303);
  });

  app.get('/console', (c) => c.redirect('/console/runs', 303));
  app.route('/', runPageRoutes(ctx));
  app.route('/', overviewRoutes(ctx));
  if (deps.mock) app.route('/', mockPageRoutes(ctx, deps.mock));

  app.notFound((c) => c.html(refusedPage(frame(c, 'none'), 'Not found', `There is no console page at ${c.req.path}.`, { href: '/console/runs', label: 'Back to the runs' }), 404));
  // A page whose reads fail says so in words, never a bare 500 or a stack (Hono's default would print one).
  app.onError((error, c) => {
    const requestId = c.env?.requestId ?? randomUUID();
    if (error instanceof StoreUnavailableError) {
      storeRefused(c, requestId, error, 'request refused: the store is unavailable');
      if (c.req.method === 'GET') {
        const text = 'This page could not be read from the database, which does not answer right now (a restart, a failover, a network cut). Reload the page in a minute.';
        return c.html(refusedPage(frame(c, 'none'), 'The store cannot be reached', text, { href: c.req.path, label: 'Reload' }), 503);
      }
      // An action (retry, cancel, a clock move) may have been committed before the answer was lost:
      // the operator is sent to see, never to the action again.
      const run = /^\/console\/runs\/([\w-]+)\//.exec(c.req.path)?.[1];
      const text = 'The database did not answer (a restart, a failover, a network cut), so this action may or may not have been done. Look before you repeat it, once the database answers again (in a minute or so).';
      const back = run ? { href: `/console/runs/${run}`, label: 'Open the run' } : { href: '/console/runs', label: 'Back to the runs' };
      return c.html(refusedPage(frame(c, 'none'), 'The store cannot be reached', text, back), 503);
    }
    deps.log.error({ requestId, method: c.req.method, path: pathForLog(c.req.path), error: { name: error.name, message: error.message, stack: error.stack } }, 'console page failed');
    return c.html(refusedPage(frame(c, 'none'), 'This page failed', `Something went wrong on the server; the operator's log has the details under the request id ${requestId}.`, { href: '/console/runs', label: 'Back to the runs' }), 500);
  });
  return app;
}
