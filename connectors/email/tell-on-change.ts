import { z } from 'zod';
import type { Store } from '../../server/store/store.ts';

/**
 * `email.send`'s `tell_on_change` (D11, D12): send only when `value` is a change from what was last
 * told about `subject`. A decision told once is not told again for an echo or a redelivery of the same
 * change, and a new change (Approved, then Denied, then Approved again; Canceled, then reinstated) is
 * told each time. The subject's last value is kept in the store and changed by compare-and-set.
 */
export const TellOnChange = z
  .object({
    subject: z.string().min(1).max(200).describe('What the message is about, e.g. mdf-request-status:MDF-2001.'),
    value: z.string().min(1).max(100).describe('The news told, e.g. the status Approved. Sent only when it differs from the last value told about the subject.'),
  })
  .strict();
export type TellOnChange = z.infer<typeof TellOnChange>;

/** What the tell-on-change path needs from the store (the email connection hands it over). */
export type ToldChanges = Pick<Store, 'tellOnChange' | 'getOutbox'>;

/** What to do with the message: send it under `key`, or nothing (and why, for the journal). */
export type TellDecision = { send: true; key: string } | { send: false; messageId: string; note: string };

/**
 * Records the change and says whether the step sends. The outbox key is this step's own
 * (`told:<run id>:<step key>`), so a step repeated after a crash finds its message, and a message told
 * by another run is never re-rendered by this one.
 */
export async function decideTellOnChange(changes: ToldChanges, tell: TellOnChange, idempotencyKey: string, now: number): Promise<TellDecision> {
  const outcome = await changes.tellOnChange({ subject: tell.subject, value: tell.value, key: `told:${idempotencyKey}`, now });
  if (outcome.kind === 'tell') return { send: true, key: outcome.key };
  const earlier = await changes.getOutbox(outcome.key);
  const messageId = earlier?.providerMessageId ?? '';
  return outcome.kind === 'told'
    ? { send: false, messageId, note: `${tell.subject} was last told as ${tell.value} (${outcome.key}); not told again` }
    : { send: false, messageId, note: `${tell.subject} changed to ${outcome.value} since this step recorded ${tell.value}; the older news is not sent` };
}
