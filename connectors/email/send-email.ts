import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { checkTemplateInput } from './check-template.ts';
import type { EmailConnection } from './email-connection.ts';
import { refusedForGood } from './email-refused.ts';
import { TellOnChange, decideTellOnChange } from './tell-on-change.ts';

const Unreachable = z
  .object({
    to: z.array(z.email()).min(1).max(50),
    template: z.string().min(1),
    data: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

const SendEmailInput = z
  .object({
    to: z.array(z.email()).max(50).describe('Recipients. Empty only with `unreachable`, which is then sent instead.'),
    cc: z.array(z.email()).max(50).optional(),
    /** A file in the templates folder, without `.txt`, e.g. `mdf-request-received`. */
    template: z.string().min(1).describe('Template name (recipes/email-templates/<name>.txt).'),
    data: z.record(z.string(), z.unknown()).default({}).describe('What the template reads.'),
    /**
     * Send at most once per this key across all runs (e.g. `digest:<partner>:<date>`), for notifications
     * that must not repeat even when two runs ask for them. @default once per run and step
     */
    once_per: z.string().min(1).max(300).optional().describe('Send at most once per this key across runs. Default: once per run and step.'),
    /** Send only when the value is a change from the last one told about the subject (tell-on-change.ts). */
    /**
     * The email to send instead when `to` is empty (the person it is for has no usable address, e.g. an
     * MDF request's partner: mdf.partner_address), so that someone is told rather than nobody: usually
     * ops. Its template gets, besides its `data`, `not_told` (the subject the email for `to` would have
     * had) and `not_told_text` (its text). Sent under the same key as the email it replaces: once, and
     * with `tell_on_change` the change counts as told. Ignored when `to` holds an address.
     */
    unreachable: Unreachable.nullish().describe('Sent instead when `to` is empty (nobody to tell at that address): to these recipients, with this template, and not_told/not_told_text (the subject and text of the email not sent) added to its data.'),
    tell_on_change: TellOnChange.optional().describe('Send only when `value` differs from the last value told about `subject` (across runs) and, with `as_of`, was read from a state no older than one already seen: every real change is told at most once, an echo or a redelivery of it never, and an older read never after a newer one.'),
  })
  .strict()
  .refine((i) => !(i.once_per && i.tell_on_change), { message: 'give once_per or tell_on_change, not both', path: ['tell_on_change'] })
  .refine((i) => i.to.length > 0 || Boolean(i.unreachable), { message: 'give at least one recipient (or `unreachable`, the email to send instead when there is none)', path: ['to'] });

const SendEmailOutput = z.object({
  message_id: z.string(),
  /** True when this notification had been sent before (a retried step, a repeated key): nothing new went out. */
  already_sent: z.boolean(),
  /** tell_on_change only: true when nothing was sent because a newer state of the subject was seen than this step's (as_of). */
  superseded: z.boolean().optional(),
  to: z.array(z.string()),
  subject: z.string(),
  /** True when `to` was empty and the `unreachable` email was sent instead (`to` and `subject` are then its own). */
  unreachable: z.boolean().optional(),
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
  // Its `running` entry goes with the outbox message taken for sending (one commit); the sender awaits it before the provider's call.
  startsWithItsWrite: true,
  checkInput: checkTemplateInput,
  async run(input, ctx: ActionContext<EmailConnection>) {
    const instead = input.to.length === 0 ? input.unreachable : null;
    const forTo = await ctx.connection.render(input.template, input.data);
    const rendered = instead ? await ctx.connection.render(instead.template, { ...instead.data, not_told: forTo.subject, not_told_text: forTo.text }) : forTo;
    const to = instead ? instead.to : input.to;
    const tag = instead ? instead.template : input.template;
    const marked = instead ? { unreachable: true } : {};
    let tellKey: string | undefined;
    if (input.tell_on_change) {
      // What is told is recorded before the send: only once the step's start is stored.
      await ctx.started?.();
      if (!ctx.connection.toldChanges) throw new Error('email.send: tell_on_change needs the email connection of the runtime (with its store)');
      const decision = await decideTellOnChange(ctx.connection.toldChanges, input.tell_on_change, ctx.idempotencyKey, ctx.clock.now());
      if (!decision.send) {
        ctx.note(decision.note);
        const superseded = decision.superseded ? { superseded: true } : {};
        return { message_id: decision.messageId, already_sent: true, ...superseded, ...marked, to, subject: rendered.subject };
      }
      tellKey = decision.key;
    }
    const sent = await ctx.connection
      .send(
        {
          key: tellKey ?? (input.once_per ? `once:${input.once_per}` : ctx.idempotencyKey),
          runId: ctx.runId,
          to,
          cc: instead ? undefined : input.cc,
          rendered,
          tag,
        },
        { signal: ctx.signal, note: ctx.note, withStepEntry: ctx.withStepEntry, started: ctx.started, leaseOwner: ctx.leaseOwner },
      )
      .catch((error: unknown) => {
        // Named, so that a recipe tells ops "refused for good" apart from "failed for the hours of its retries".
        throw refusedForGood(error) ?? error;
      });
    return { message_id: sent.messageId, already_sent: sent.alreadySent, ...marked, to, subject: rendered.subject };
  },
});
