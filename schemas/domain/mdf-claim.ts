import { z } from 'zod';
import { PrmTimestamp } from './mdf-request.ts';
import { PrmDate, PrmNumber, prmPicklist, trimmed } from './prm-fields.ts';

/** D18: a claim starts Open and is Approved or Denied; finance marks an approved claim Paid. */
export const MdfClaimStatus = z.enum(['Open', 'Approved', 'Denied', 'Paid']);
export type MdfClaimStatus = z.infer<typeof MdfClaimStatus>;

/** What an attachment proves (D15, D16): the proof of performance, the lead list, or anything else. */
export const CLAIM_ATTACHMENT_KINDS = ['POP', 'Lead List', 'Other'] as const;
export const ClaimAttachmentKind = z.enum(CLAIM_ATTACHMENT_KINDS);
export type ClaimAttachmentKind = z.infer<typeof ClaimAttachmentKind>;

/**
 * The item ops pick in a claim's Missing POP field (D17): the partner is told to add it.
 * [guess] The real picklist's values are not public.
 */
const MISSING_POP_ITEMS = ['POP', 'Lead List', 'Invoice', 'Other'] as const;
export const MissingPopItem = z.enum(MISSING_POP_ITEMS);
export type MissingPopItem = z.infer<typeof MissingPopItem>;

/**
 * A file attached to a claim. It stays in the PRM (D2): only its name, kind and PRM URL travel. A kind
 * the runtime does not know (an invoice, a photo: ops may add kinds to the PRM's picklist) is kept as
 * sent, and the known kinds are read in any letter case: the claim is never refused over a file, and
 * D16 asks only for the required kinds it lacks. The name and URL are read as text, whatever they hold.
 */
export const ClaimAttachment = z.object({
  name: z.string().nullish(),
  kind: prmPicklist(CLAIM_ATTACHMENT_KINDS),
  url: z.string().nullish(),
});
export type ClaimAttachment = z.infer<typeof ClaimAttachment>;

/**
 * An MDF claim as the PRM returns it (camelCase). The form's fields (D15) may arrive blank: the intake
 * must tell the partner what is missing rather than drop the event, so they are nullable here.
 */
export const MdfClaim = z.object({
  id: z.number().int().positive(),
  /** The MDF number of the request this claim draws on. */
  mdfNumber: z.string().min(1),
  /** D15: unique among all claims, compared without regard to case and surrounding spaces (claimTitleKey). */
  title: z.string().nullish(),
  /** What the partner claims, in USD (D18: at most the approved amount; D19: at most half of actualCosts). */
  /** Read as prm-fields.ts says (a blank number is missing; text that is not plainly a number is kept, and the check names it). */
  amount: PrmNumber,
  paidDate: PrmDate,
  /** What the activity actually cost, in USD (D19). */
  actualCosts: PrmNumber,
  attachments: z.array(ClaimAttachment).nullish(),
  /**
   * D17: set by ops when an item is absent or wrong; cleared when it is fixed. A value outside the
   * guessed picklist (ops' own, e.g. "Invoice copy") is kept as ops wrote it, trimmed: the partner is
   * asked for that item, and no later change of the claim (its approval) is refused over it (D18, D11).
   */
  missingPop: prmPicklist(MISSING_POP_ITEMS),
  status: z.preprocess(trimmed, MdfClaimStatus),
  /** Why the claim was decided (a denial's reason is told to the partner, D18). */
  statusReason: z.string().nullish(),
  /** Set once finance raised a purchase order: the partner is then asked for the invoice (D18). */
  purchaseOrderNumber: z.string().nullish(),
  created: PrmTimestamp,
  /** When the PRM last changed the claim; null on a claim it holds without an Updated stamp (imported, docs/systems.md). */
  updated: PrmTimestamp.nullable(),
});
export type MdfClaim = z.infer<typeof MdfClaim>;

/** The PRM's Status Reason of a claim holds at most this many characters (prm.update_mdf_claim_status). */
export const CLAIM_STATUS_REASON_MAX = 4000;

/**
 * D15: the form of a title that uniqueness compares: titles that look the same to partner and ops are
 * one title. Unicode NFKC (a decomposed accent, a ligature or a full-width letter is its plain form),
 * full case folding (upper- then lower-casing, so ß, SS and ss agree, which lower-casing alone misses;
 * NFKC again, since case mapping can leave a form unnormalised), the characters never shown dropped
 * (NEVER_SHOWN: a zero-width space or soft hyphen pasted with the title), and any run of whitespace
 * (NBSP and the other Unicode spaces included) one space, none around it. A title whose key is empty
 * shows nothing: it is missing (D15).
 */
export function claimTitleKey(title: string): string {
  const folded = title.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
  return folded.replace(NEVER_SHOWN, '').replace(/\s+/gu, ' ').trim();
}

/**
 * Characters a title can carry that are never shown, pasted with it from a web page, a document or a
 * spreadsheet (NFKC keeps them, and they are no whitespace): the soft hyphen, the zero-width space, the
 * left-to-right and right-to-left marks, the bidirectional embeddings and isolates, the word joiner and
 * the byte order mark (zero-width no-break space). Gone from the key, so "Frankfurt" with a zero-width
 * space after it is "Frankfurt" (D15). The zero-width joiner and non-joiner are kept: they change how
 * some scripts (and emoji) are drawn.
 */
const NEVER_SHOWN = /[\u00ad\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/gu;

/**
 * The version of claimTitleKey the store's title keys were made by (server/store/claim-title-keys.ts):
 * bump it with any change to claimTitleKey that can give a title another key. Keys of another version
 * count as not caught up, so the next duplicate-title check reads every claim again and keys it anew,
 * rather than compare new keys with stale ones (docs/rules.md D15).
 */
export const CLAIM_TITLE_KEY_VERSION = 2;
