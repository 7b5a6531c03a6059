import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { checkTemplateInput } from './check-template.ts';
import type { EmailConnection } from './email-connection.ts';

const SendEmailInput = z
  .object({
    to: z.array(z.email()).min(1).max(50).describe('Recipients.'),
    cc: z.array(z.email()).max(50).optional(),
    /** A file in the templates folder, without `.txt`, e.g. `mdf-request-received`. */
    template: z.string().min(1).describe('Template name (recipes/email-templates/<name>.txt).'),
    data: z.record(z.string(), z.unknown()).default({}).describe('What the template reads.'),
    /**
     * Send at most once per this key across all runs (e.g. `digest:<partner>:<date>`), for notifications
     * that must not repeat even when two runs ask for them. @default once per run and step
     */
    once_per: z.string().min(1).max(300).optional().describe('Send at most once per this key across runs. Default: once per run and step.'),
  })
  .strict();

const SendEmailOutput = z.object({
  message_id: z.string(),
  /** True when this notification had been sent before (a retried step, a repeated key): nothing new went out. */
  already_sent: z.boolean(),
  to: z.array(z.string()),
  subject: z.string(),
});

/**
 * `email.send`: renders a template and sends it through the outbox, once per notification key. Marked
 * idempotent because the outbox makes a repeat harmless, so the engine may retry it after a crash.
 */
export const sendEmail = defineAction({
  description: 'Renders an email template and sends it once (outbox keyed by run and step, or by once_per across runs).',
  input: SendEmailInput,
  output: SendEmailOutput,
  idempotent: true,
  checkInput: checkTemplateInput,
  async run(input, ctx: ActionContext<EmailConnection>) {
    const rendered = await ctx.connection.render(input.template, input.data);
    const sent = await ctx.connection.send(
      {
        key: input.once_per ? `once:${input.once_per}` : ctx.idempotencyKey,
        runId: ctx.runId,
        to: input.to,
        cc: input.cc,
        rendered,
        tag: input.template,
      },
      { signal: ctx.signal, note: ctx.note },
    );
    return { message_id: sent.messageId, already_sent: sent.alreadySent, to: input.to, subject: rendered.subject };
  },
});
