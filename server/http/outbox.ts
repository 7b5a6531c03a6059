import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { messageIdFor } from '../../connectors/email/smtp-client.ts';
import type { OutboxMessage, OutboxPatch } from '../store/store.ts';
import { ErrorBody } from './api-schemas.ts';
import { requireApiToken } from './api-auth.ts';
import type { AppDeps, AppEnv } from './app.ts';
import { jsonError } from './errors.ts';
import type { RouteDoc } from './openapi.ts';

/** What an operator's decision on an email did. */
export const OutboxDecision = z.object({
  key: z.string().describe('The message’s outbox key (`<run id>:<step key>`, or `once:<once_per>`)'),
  status: z.enum(['pending', 'sent']).describe('`pending`: it is sent again by the step that sends it; `sent`: counted as delivered, not sent again'),
  run_id: z.string().nullable(),
  run_retried: z.boolean().describe('Whether the run had failed at the email step and was queued again (so that step now runs)'),
});

/**
 * The operator's decision on an email whose send was cut off through a transport that cannot be asked
 * whether it went out (SMTP: the outbox marked it `failed`, needing a decision, and its step failed
 * with EmailOutcomeUnknownError). After checking the relay's log or the mailbox for its Message-ID:
 * `resend` puts it back to `pending` (the step sends it again, same Message-ID), `mark-sent` counts it
 * as delivered. Either retries the run when it failed, so the step runs again and the run goes on.
 */
export function outboxRoutes(deps: AppDeps): Hono<AppEnv> {
  const { engine, log } = deps;
  const store = engine.store;
  const app = new Hono<AppEnv>();
  const auth = requireApiToken(deps.config.apiToken);

  const decide = (status: 'pending' | 'sent', patchOf: (message: OutboxMessage) => OutboxPatch) => async (c: Context<AppEnv, '/outbox/:key/*'>) => {
    const key = c.req.param('key');
    const message = await store.getOutbox(key);
    if (!message) return jsonError(c, 404, `no message ${key} in the outbox`);
    if (message.status !== 'failed') {
      return jsonError(c, 409, `message ${key} is ${message.status}: only a message whose send was cut off and waits for an operator’s decision (failed) can be resent or marked sent`);
    }
    // Only on the message as read: of two conflicting decisions (two operators, two replicas), one applies.
    if (!(await store.updateOutbox(key, patchOf(message), { status: 'failed', attempts: message.attempts }))) {
      const now = await store.getOutbox(key);
      return jsonError(c, 409, `message ${key} is ${now?.status ?? 'gone'} now: another decision was taken on it meanwhile (it was failed when this one was asked); check it before deciding again`);
    }
    const retried = message.runId ? (await engine.retry(message.runId)).retried : false;
    log.warn({ requestId: c.get('requestId'), outboxKey: key, runId: message.runId, decision: status, runRetried: retried }, status === 'pending' ? 'email released for resending by an operator' : 'email marked as sent by an operator');
    return c.json({ key, status, run_id: message.runId, run_retried: retried } satisfies z.infer<typeof OutboxDecision>);
  };

  app.post(
    '/outbox/:key/resend',
    auth,
    decide('pending', () => ({ status: 'pending', lastError: `released for resending by an operator at ${new Date(engine.clock.now()).toISOString()}` })),
  );
  app.post(
    '/outbox/:key/mark-sent',
    auth,
    decide('sent', (message) => {
      const { template: _dropped, ...envelope } = message.message;
      const erased = '[erased once sent]';
      return {
        status: 'sent',
        // A follow-up for deferred recipients went out with the Message-ID of the message it copies.
        providerMessageId: messageIdFor(message.message.followUp?.of ?? message.key, message.message.from),
        sentAt: engine.clock.now(),
        lastError: 'marked as sent by an operator',
        message: { ...envelope, text: erased, html: erased },
      };
    }),
  );
  return app;
}

const key = { key: 'The message’s outbox key, URL-encoded (the step’s error names both calls), e.g. `run_0mb1x2k3l4a1b2c3d4e5f6%3Aask_approver`' };
const responses = {
  200: { description: 'The decision, and whether the run was queued again', schema: OutboxDecision },
  404: { description: 'No such message', schema: ErrorBody },
  409: { description: 'The message does not wait for a decision (it is pending, sending or sent), or another decision was taken on it since it was read; the error names its status', schema: ErrorBody },
};

export const outboxDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/outbox/:key/resend',
    tag: 'runs',
    summary: 'Send again an email whose send was cut off (SMTP), after checking it did not arrive',
    description: 'The message goes back to pending and its run, when it failed at the email step, is retried: the step sends it again with the same Message-ID.',
    auth: true,
    params: key,
    responses,
  },
  {
    method: 'post',
    path: '/outbox/:key/mark-sent',
    tag: 'runs',
    summary: 'Count as delivered an email whose send was cut off (SMTP), after checking it arrived',
    description: 'The message is marked sent and its run, when it failed at the email step, is retried: the step finds it sent and the run goes on.',
    auth: true,
    params: key,
    responses,
  },
];
