import { z } from 'zod';
import { prmString } from './prm-filter-string.ts';

/**
 * Reading the PRM records changed since a watermark (`Updated ge <stamp>`), page by page, in the order
 * of their stamps, by position rather than by skip: a record changed while the pages are read moves to
 * the end of the order and shifts no page. Shared by every PRM read that pages by `Updated` (the claim
 * title keys of D15, the worked-lead poll of D24/D25), so they all read the same records.
 *
 * A record the PRM holds without an Updated stamp (imported or migrated into it; docs/systems.md)
 * matches no `Updated ge` filter and has no place among the stamps. Each read takes such records too
 * (`or Updated eq null`), by their own position (`Updated eq null and Id gt <last such id>`), wherever
 * the PRM orders them (first, as SQL Server orders nulls, or last). Nothing tells when one of them
 * changes, so every read takes them all: the caller must keep them from moving its watermark, and make
 * reading one again harmless (its dedup key, its key in the store).
 */

/** The order these reads ask for: stamps, then ids. */
export const STAMP_ORDER = 'Updated asc, Id asc';

/**
 * Where the pages read so far end: among the stamped records (the last one's stamp and id), and among those
 * without a stamp (the last one's id). A schema, as a poll's next page carries it (list-worked-partner-leads.ts).
 */
export const StampPosition = z.object({
  stamped: z.object({ updated: z.string(), id: z.number().int() }).nullable(),
  unstamped: z.number().int().nullable(),
});
export type StampPosition = z.infer<typeof StampPosition>;

/** Before the first page. */
export const FIRST_PAGE: StampPosition = { stamped: null, unstamped: null };

/**
 * The filter of the page after `position`: the stamped records at or after `since` (a stamp as the
 * PRM's filters take it; null: every stamped record), or after the position once one is read, and the
 * records without a stamp after theirs. Undefined: every record (the first page of a full read).
 * Combined with another condition, it goes in parentheses (`changedSinceFilter` gives them).
 */
export function stampPositionFilter(since: string | null, position: StampPosition): string | undefined {
  // After a position at or past `since`, the position alone is the filter: every record after it is newer.
  const { stamped: after, unstamped: unstampedAfter } = position;
  const stamped = after !== null ? `(Updated gt ${prmString(after.updated)} or (Updated eq ${prmString(after.updated)} and Id gt ${after.id}))` : since === null ? null : `Updated ge ${prmString(since)}`;
  const unstamped = unstampedAfter === null ? 'Updated eq null' : `(Updated eq null and Id gt ${unstampedAfter})`;
  if (stamped === null) return unstampedAfter === null ? undefined : `Updated ne null or ${unstamped}`;
  return `${stamped} or ${unstamped}`;
}

/** `stampPositionFilter` after the caller's own condition (`<condition> and (…)`). */
export function changedSinceFilter(condition: string, since: string | null, position: StampPosition): string {
  const changed = stampPositionFilter(since, position);
  return changed === undefined ? condition : `${condition} and (${changed})`;
}

/** The position after a page of records read in STAMP_ORDER (a stamp is a string; anything else, null included, is none). */
export function positionAfter(position: StampPosition, records: Iterable<{ id: number; updated?: unknown }>): StampPosition {
  let { stamped, unstamped } = position;
  for (const { id, updated } of records) {
    if (typeof updated === 'string') stamped = { updated, id };
    else unstamped = id;
  }
  return { stamped, unstamped };
}

/** Whether a page moved the position: a PRM that ignored it would answer the same page forever. */
function samePosition(a: StampPosition, b: StampPosition): boolean {
  return a.stamped?.updated === b.stamped?.updated && a.stamped?.id === b.stamped?.id && a.unstamped === b.unstamped;
}

/** The last record a position names, for an error message: `claim 12 (2026-03-02 09:00:00)`, `(no Updated stamp)`. */
function describePosition(position: StampPosition): { id: number | null; updated: string } {
  return position.stamped ?? { id: position.unstamped, updated: 'no Updated stamp' };
}

/**
 * The position after a page (`positionAfter`). A PRM that ignored the position would answer the same page
 * forever: a page that does not move it throws the caller's `message`, given the last record read.
 */
export function nextPosition(
  position: StampPosition,
  records: Iterable<{ id: number; updated?: unknown }>,
  message: (last: { id: number | null; updated: string }) => string,
): StampPosition {
  const next = positionAfter(position, records);
  if (samePosition(position, next)) throw new Error(message(describePosition(next)));
  return next;
}
