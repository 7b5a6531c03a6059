import { z } from 'zod';
import { DateTime } from 'luxon';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { IsoDuration } from '../../schemas/recipe.ts';
import { addIsoDuration } from '../../server/engine/business-calendar.ts';
import { newApprovalToken } from './approval-token.ts';
import type { ApprovalConnection } from './approval-connection.ts';
import { checkTemplateInput } from '../email/check-template.ts';

const RequestApprovalInput = z
  .object({
    /** The `wait_for` signal the decision answers. */
    signal: z.string().regex(/^[a-z][a-z0-9_]*$/),
    approver: z.object({ email: z.email(), name: z.string().nullish() }).strict(),
    /** What is being decided, shown on the confirmation page, e.g. "MDF-1042: Cloud Summit Munich". */
    subject: z.string().min(1).max(300),
    /** The email template; it receives `data` plus `approver_name`, `approve_url`, `deny_url`, `expires_at` (ISO) and `expires_text` (in the business calendar's zone). */
    template: z.string().min(1),
    data: z.record(z.string(), z.unknown()).default({}),
    cc: z.array(z.email()).optional(),
    /** How long the link works. @default P14D */
    expires_in: IsoDuration.default('P14D'),
  })
  .strict();

const RequestApprovalOutput = z.object({
  approver: z.email(),
  expires_at: z.string(),
  message_id: z.string(),
  already_sent: z.boolean(),
});

/**
 * D10: sends the approver an email whose links approve or deny from the email itself. The link's token
 * is bound to this run and signal, stored hashed, expires, and works once. Token, approval and message
 * are stored in one transaction under the step's idempotency key, so a retried step sends nothing new.
 */
export const requestApproval = defineAction({
  description: 'Emails an approver approve/deny links that answer a wait_for signal of this run.',
  input: RequestApprovalInput,
  output: RequestApprovalOutput,
  idempotent: true,
  checkInput: checkTemplateInput,
  async run(input, ctx: ActionContext<ApprovalConnection>) {
    const email = ctx.connection.email();
    const now = ctx.clock.now();
    const expiresAt = addIsoDuration(now, input.expires_in);
    const { token, hash } = newApprovalToken();
    const base = `${ctx.connection.publicBaseUrl}/approvals/${token}`;
    const rendered = await email.render(input.template, {
      ...input.data,
      approver_name: input.approver.name ?? input.approver.email,
      approve_url: `${base}?decision=approve`,
      deny_url: `${base}?decision=deny`,
      expires_at: new Date(expiresAt).toISOString(),
      // As an approver reads it: "Monday 16 March 2026, 10:00 (Europe/Berlin)", not a UTC timestamp.
      expires_text: `${DateTime.fromMillis(expiresAt, { zone: ctx.connection.timezone }).setLocale('en-GB').toFormat('cccc d LLLL yyyy, HH:mm')} (${ctx.connection.timezone})`,
    });
    const sent = await email.send({
      key: ctx.idempotencyKey,
      runId: ctx.runId,
      to: [input.approver.email],
      cc: input.cc,
      rendered,
      tag: input.template,
      approval: {
        tokenHash: hash,
        runId: ctx.runId,
        signal: input.signal,
        approverEmail: input.approver.email,
        approverName: input.approver.name ?? null,
        subject: input.subject,
        expiresAt,
        createdAt: now,
      },
    }, { signal: ctx.signal, note: ctx.note });
    return { approver: input.approver.email, expires_at: new Date(expiresAt).toISOString(), message_id: sent.messageId, already_sent: sent.alreadySent };
  },
});
