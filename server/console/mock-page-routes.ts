import { Hono } from 'hono';
import type { MockDeps } from '../http/app.ts';
import { advanceMockClock } from '../http/mock-clock-advance.ts';
import { mailboxTo } from '../http/mailbox-to.ts';
import { clockPage, durationFromInput } from './clock-page.ts';
import type { ConsoleEnv } from './console-auth.ts';
import type { ConsoleContext } from './console-routes.ts';
import { refusedPage } from './login-page.ts';
import { EMAIL_HTML_HEADERS, mailboxMessages, mailboxPage } from './mailbox-page.ts';

/** The mock runtime's pages: the simulated mailbox and the virtual clock (mounted in mock mode only). */
export function mockPageRoutes(ctx: ConsoleContext, mock: MockDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();

  app.get('/console/mailbox', (c) => {
    const to = c.req.query('to')?.trim() || undefined;
    // The same filter as GET /_mock/mailbox?to=.
    return c.html(mailboxPage(ctx.frame(c, 'mailbox'), mailboxMessages(mailboxTo(mock.systems.email.messages(), to)), to));
  });

  app.get('/console/mailbox/:id/html', (c) => {
    const message = mailboxMessages(mock.systems.email.messages()).find((m) => m.messageId === c.req.param('id'));
    if (!message) return c.html(refusedPage(ctx.frame(c, 'mailbox'), 'No such email', `The simulated mailbox has no email ${c.req.param('id')}.`), 404);
    return c.body(message.html, 200, { 'Content-Type': 'text/html; charset=utf-8', ...EMAIL_HTML_HEADERS });
  });

  app.get('/console/clock', (c) => c.html(clockPage(ctx.frame(c, 'clock'), { now: mock.clock.now(), csrf: c.get('csrf'), moved: c.req.query('moved') || undefined })));

  app.post('/console/clock', async (c) => {
    const forged = await ctx.refuseForgedPost(c);
    if (forged) return forged;
    const form = await c.req.parseBody();
    const by = typeof form.by === 'string' ? form.by : '';
    const iso = durationFromInput(by);
    // The same advance as POST /_mock/clock/advance (one at a time, the timers due on the way fire).
    const moved = iso === null ? { ok: false as const, message: `"${by}" is not a duration: write an ISO 8601 duration (P2D, PT36H) or a number and a unit (2d, 36h, 90m)` } : await advanceMockClock(mock, iso);
    if (!moved.ok) return c.html(clockPage(ctx.frame(c, 'clock'), { now: mock.clock.now(), csrf: c.get('csrf'), error: moved.message, by }), 400);
    return c.redirect(`/console/clock?moved=${encodeURIComponent(iso!)}`, 303);
  });

  return app;
}
