import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { EmailConnection } from './email-connection.ts';
import { TellOnChange, asOfMillis } from './tell-on-change.ts';

const NoteChangeInput = TellOnChange.pick({ subject: true, value: true, as_of: true }).strict();

const NoteChangeOutput = z.object({
  /** True when the value was a change and is now the last value told about the subject. */
  recorded: z.boolean(),
  /** True when a newer state of the subject was seen than this step's (as_of): nothing was recorded. */
  superseded: z.boolean(),
});

/**
 * `email.note_change`: records `value` as told about `subject`, as `email.send`'s `tell_on_change` would,
 * without sending anything. For a change the recipient made themselves: a partner who reopened and
 * submitted their request knows it is Open, but the decision on that submission is news to them even
 * when it repeats the last decision, and `tell_on_change` tells only changes.
 */
export const noteChange = defineAction({
  description: 'Records a value as told about a subject (tell_on_change) without sending: the next different value is news.',
  input: NoteChangeInput,
  output: NoteChangeOutput,
  idempotent: true,
  async run(input, ctx: ActionContext<EmailConnection>) {
    if (!ctx.connection.toldChanges) throw new Error('email.note_change needs the email connection of the runtime (with its store)');
    const asOf = asOfMillis(input.as_of);
    const key = `told:${ctx.idempotencyKey}`;
    const outcome = await ctx.connection.toldChanges.tellOnChange({ subject: input.subject, value: input.value, key, asOf, quiet: true, now: ctx.clock.now() });
    // The same step again after a crash finds the value it recorded itself (told-changes.ts keeps a quiet record under `quiet:<key>`).
    if (outcome.kind === 'quiet' || (outcome.kind === 'told' && outcome.key === `quiet:${key}`)) {
      ctx.note(`${input.subject}: ${input.value} recorded as told, nothing sent`);
      return { recorded: true, superseded: false };
    }
    if (outcome.kind === 'superseded') {
      ctx.note(`superseded: ${input.subject} was ${outcome.value}${outcome.asOf !== undefined ? ` as of ${new Date(outcome.asOf).toISOString()}` : ''}, newer than this step's ${input.as_of}; nothing recorded`);
      return { recorded: false, superseded: true };
    }
    ctx.note(`${input.subject} was last told as ${input.value}; nothing to record`);
    return { recorded: false, superseded: false };
  },
});
