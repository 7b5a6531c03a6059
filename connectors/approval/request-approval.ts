import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { IsoDuration } from '../../schemas/recipe.ts';
import { addIsoDuration } from '../../server/engine/business-calendar.ts';
import { approvalTokenFor, hashApprovalToken, newApprovalId } from './approval-token.ts';
import type { ApprovalConnection } from './approval-connection.ts';
import { timeForPeople } from './time-for-people.ts';
import { checkTemplateInput } from '../email/check-template.ts';

const RequestApprovalInput = z
  .object({
    /** The `wait_for` signal the decision answers. */
    signal: z.string().regex(/^[a-z][a-z0-9_]*$/),
    approver: z.object({ email: z.email(), name: z.string().nullish() }).strict(),
    /** What is being decided, shown on the confirmation page, e.g. "MDF-1042: Cloud Summit Munich". */
    subject: z.string().min(1).max(300),
    /**
     * The email template; it receives `data` plus `approver_name`, `approve_url`, `deny_url`, and with
     * `expires_in` also `expires_at` (ISO) and `expires_text` (in the business calendar's zone, named);
     * without it both are null.
     */
    template: z.string().min(1),
    data: z.record(z.string(), z.unknown()).default({}),
    cc: z.array(z.email()).optional(),
    /**
     * D10: a link works as long as the run waits (or will wait) for `signal`: through reminders and
     * escalations, until a decision is made, the last wait for it times out or the run ends. This is an
     * optional hard cap on top. @default none
     */
    expires_in: IsoDuration.optional(),
  })
  .strict();

const RequestApprovalOutput = z.object({
  approver: z.email(),
  /** The hard cap, when `expires_in` set one; null: the link lives as long as the wait it answers. */
  expires_at: z.string().nullable(),
  message_id: z.string(),
  already_sent: z.boolean(),
});

/**
 * What the template reads besides the step's `data`: `run` adds the first three, the links are added
 * when the email is sent (outbox-sender.ts). `validate` counts them as given (check-template.ts).
 */
const ADDED_TO_TEMPLATE_DATA = ['approver_name', 'expires_at', 'expires_text', 'approve_url', 'deny_url'] as const;

/**
 * D10: sends the approver an email whose links approve or deny from the email itself. The link's token
 * is derived from the server secret and the approval's id (never stored; only its hash is), is bound to
 * this run and signal, and works once. Approval and message are stored in one transaction under the
 * step's idempotency key, so a retried step sends nothing new.
 */
export const requestApproval = defineAction({
  description: 'Emails an approver approve/deny links that answer a wait_for signal of this run.',
  input: RequestApprovalInput,
  output: RequestApprovalOutput,
  idempotent: true,
  // The decision answers the run's wait_for on this signal: validate checks that one waits for it.
  signalInput: 'signal',
  // Sends through the email connector's outbox.
  uses: ['email'],
  checkInput: (input, context, step) => checkTemplateInput(input, context, step, ADDED_TO_TEMPLATE_DATA),
  async run(input, ctx: ActionContext<ApprovalConnection>) {
    const email = ctx.connection.email();
    const { linkSecret, publicBaseUrl, timezone } = ctx.connection;
    const now = ctx.clock.now();
    const expiresAt = input.expires_in ? addIsoDuration(now, input.expires_in) : null;
    // The token is derived from the secret and this id, and exists only in memory: the store keeps the
    // id and the token's hash, the outbox keeps the template and its data, and the links are rendered
    // when the email leaves (also when a crash made the step run again: the stored id wins).
    const id = newApprovalId();
    const links = (approvalId: string) => {
      const base = `${publicBaseUrl}/approvals/${approvalTokenFor(linkSecret, approvalId)}`;
      return { approve_url: `${base}?decision=approve`, deny_url: `${base}?decision=deny` };
    };
    const sent = await email.send({
      key: ctx.idempotencyKey,
      runId: ctx.runId,
      to: [input.approver.email],
      cc: input.cc,
      template: {
        name: input.template,
        data: {
          ...input.data,
          approver_name: input.approver.name ?? input.approver.email,
          expires_at: expiresAt === null ? null : new Date(expiresAt).toISOString(),
          // As an approver reads it: "Monday 16 March 2026, 10:00 (Europe/Berlin)", not a UTC timestamp.
          expires_text: expiresAt === null ? null : timeForPeople(expiresAt, timezone),
        },
      },
      links,
      tag: input.template,
      approval: {
        id,
        tokenHash: hashApprovalToken(approvalTokenFor(linkSecret, id)),
        runId: ctx.runId,
        signal: input.signal,
        approverEmail: input.approver.email,
        approverName: input.approver.name ?? null,
        subject: input.subject,
        expiresAt,
        createdAt: now,
      },
    }, { signal: ctx.signal, note: ctx.note, leaseOwner: ctx.leaseOwner });
    return { approver: input.approver.email, expires_at: expiresAt === null ? null : new Date(expiresAt).toISOString(), message_id: sent.messageId, already_sent: sent.alreadySent };
  },
});
