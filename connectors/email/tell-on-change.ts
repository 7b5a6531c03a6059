import { z } from 'zod';
import { stampMillis } from '../../schemas/domain/source-stamp.ts';
import type { Store } from '../../server/store/store.ts';

/**
 * `email.send`'s `tell_on_change` (D11, D12): send only when `value` is a change from what was last
 * told about `subject`. A decision told once is not told again for an echo or a redelivery of the same
 * change, and a new change (Approved, then Denied, then Approved again; Canceled, then reinstated) is
 * told each time. With `as_of`, changes are ordered by the source's stamp of the state the value was
 * read from: a run that read an older state than another run already saw tells nothing, whatever the
 * order the runs get round to telling in, so the partner's last email matches the PRM.
 */
export const TellOnChange = z
  .object({
    subject: z.string().min(1).max(200).describe('What the message is about, e.g. mdf-request-status:MDF-2001.'),
    value: z.string().min(1).max(100).describe('The news told, e.g. the status Approved. Sent only when it differs from the last value told about the subject.'),
    as_of: z
      .string()
      .min(1)
      .refine((s) => stampMillis(s) !== undefined, { message: 'as_of must be a time, e.g. the PRM record\'s updated (2026-03-02T09:00:00.000Z)' })
      .nullish()
      .describe('When the source last changed the state `value` was read from (the PRM record\'s `updated`). A value read from an older state than one already seen for the subject is not sent. Without it, or null (a PRM record held without an Updated stamp), the order of telling decides.'),
    skip_first: z
      .boolean()
      .optional()
      .describe('When nothing was told about the subject yet, record the value and send nothing: for news that is only news as a change from an earlier value (a Missing POP cleared thanks a partner only after an item was asked for, D17).'),
    told_before_once_per: z
      .string()
      .min(1)
      .max(300)
      .optional()
      .describe('The once_per key older versions of the recipe sent this same value under (before tell on change): a message under it counts as this value told, so runs of the old version still in flight at a deploy and runs of the new one do not tell one change twice.'),
  })
  .strict();
export type TellOnChange = z.infer<typeof TellOnChange>;

/** What the tell-on-change path needs from the store (the email connection hands it over). */
export type ToldChanges = Pick<Store, 'tellOnChange' | 'getOutbox'>;

/** The stamp a value is told as of, in ms: none when `as_of` is absent or null (a record without an Updated stamp; the order of telling decides). */
export const asOfMillis = (asOf: string | null | undefined): number | undefined => (asOf == null ? undefined : stampMillis(asOf));

/** What to do with the message: send it under `key`, or nothing (and why, for the journal). */
export type TellDecision = { send: true; key: string } | { send: false; messageId: string; superseded: boolean; note: string };

/**
 * Records the change and says whether the step sends. The outbox key is this step's own
 * (`told:<run id>:<step key>`), so a step repeated after a crash finds its message, and a message told
 * by another run is never re-rendered by this one.
 */
export async function decideTellOnChange(changes: ToldChanges, tell: TellOnChange, idempotencyKey: string, now: number): Promise<TellDecision> {
  const asOf = asOfMillis(tell.as_of);
  const legacyKey = tell.told_before_once_per === undefined ? undefined : `once:${tell.told_before_once_per}`;
  const outcome = await changes.tellOnChange({ subject: tell.subject, value: tell.value, key: `told:${idempotencyKey}`, asOf, legacyKey, quietFirst: tell.skip_first, now });
  if (outcome.kind === 'tell') return { send: true, key: outcome.key };
  if (outcome.kind === 'quiet') return { send: false, messageId: '', superseded: false, note: `nothing was told about ${tell.subject} yet (skip_first): ${tell.value} recorded, not sent` };
  const earlier = outcome.key ? await changes.getOutbox(outcome.key) : undefined;
  const messageId = earlier?.providerMessageId ?? '';
  if (outcome.kind === 'told') {
    return { send: false, messageId, superseded: false, note: `${tell.subject} was last told as ${tell.value} (${outcome.key}); not told again` };
  }
  const newer = outcome.asOf !== undefined ? `was ${outcome.value} as of ${new Date(outcome.asOf).toISOString()}, newer than this step's ${tell.as_of}` : `changed to ${outcome.value} since this step recorded ${tell.value}`;
  return { send: false, messageId, superseded: true, note: `superseded: ${tell.subject} ${newer}; the older news (${tell.value}) is not sent` };
}
