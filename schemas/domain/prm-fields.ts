import { z } from 'zod';

/**
 * How the runtime reads the fields of a record the PRM sends (an MDF request, an MDF claim). The PRM
 * stores what a partner typed, or what ops picked in a picklist of their own, and its API may answer a
 * number as text or a date as a date-time. A record is never refused over the form of one field: a
 * refused webhook is lost for good (the PRM does not retry a 4xx, and a retry would be refused again),
 * and so would be the partner's request or claim. Instead each field is read as follows, and what
 * cannot be read for sure reaches the recipe as sent (a string), where the intake check tells the
 * partner which field to correct (D6, D15), or as missing:
 * - blank ("", spaces only, null): missing;
 * - text: surrounding spaces trimmed;
 * - a number: a JSON number, or a string of plain decimal digits (`2500`, `2500.50`, a sign allowed),
 *   or digits grouped by commas in threes with a decimal point (`12,000.00`); `2,500` alone is kept as
 *   text (in a locale writing decimal commas it is 2.5), as is anything else (`USD 2500`);
 * - a date: `YYYY-MM-DD`, or a date-time at midnight (`2026-06-04T00:00:00`, with or without a zone or
 *   offset, `T` or a space), which is the date its date part names: a date field stored as a date-time
 *   holds that date at 00:00 wherever it is written. A date-time at another hour is kept as text: it is
 *   a midnight converted to another zone (midnight UTC written in New York is 19:00 the day before), and
 *   which day was picked cannot be told.
 */

/** A string whose surrounding spaces are gone; anything else unchanged. */
export const trimmed = (value: unknown): unknown => (typeof value === 'string' ? value.trim() : value);

/** Blank ("" or spaces) is null; a string is trimmed. */
const blankIsNull = (value: unknown): unknown => {
  const t = trimmed(value);
  return t === '' ? null : t;
};

const PLAIN_DECIMAL = /^[+-]?\d+(\.\d+)?$/;
const GROUPED_WITH_POINT = /^[+-]?\d{1,3}(,\d{3})+\.\d+$/;

/** The number a PRM number field holds, null when blank, or the trimmed text when it is not plainly one number. */
export function readPrmNumber(value: unknown): unknown {
  const t = blankIsNull(value);
  if (typeof t !== 'string') return t;
  if (PLAIN_DECIMAL.test(t)) return Number(t);
  if (GROUPED_WITH_POINT.test(t)) return Number(t.replaceAll(',', ''));
  return t;
}

/**
 * A PRM number field: a number, null/undefined when blank, or (not plainly one number) the text sent,
 * which the intake checks report as a field to correct (`unreadableNumber`).
 */
export const PrmNumber = z.preprocess(readPrmNumber, z.union([z.number(), z.string()]).nullish());

/** A calendar date as the PRM stores it: YYYY-MM-DD, no time zone. */
export const IsoDate = z.iso.date();

/** `YYYY-MM-DD`, then T or a space and 00:00, 00:00:00 or 00:00:00.000..., then Z, ±hh:mm or ±hhmm, or nothing. */
const MIDNIGHT = /^(\d{4}-\d{2}-\d{2})[T ]00:00(:00(\.0+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** The date a PRM date field holds (YYYY-MM-DD), "" when blank, or the trimmed text when it is not plainly one date. */
function readPrmDate(value: unknown): unknown {
  const t = trimmed(value);
  if (typeof t !== 'string') return t;
  const midnight = MIDNIGHT.exec(t);
  return midnight ? midnight[1] : t;
}

/** Whether a date field's value is a calendar date (YYYY-MM-DD that exists). */
export const isIsoDate = (value: unknown): value is string => IsoDate.safeParse(value).success;

/**
 * A PRM date field: YYYY-MM-DD, "" or null/undefined when blank, or the text sent when it is not plainly
 * one date (`isIsoDate` tells which), which the intake checks report as a field to correct.
 */
export const PrmDate = z.preprocess(readPrmDate, z.string().nullish());

/**
 * A PRM picklist field: one of `values` when the value is one of them but for letter case and
 * surrounding spaces, "" or null/undefined when blank, else the trimmed text as sent (ops may have
 * added a value of their own to the picklist).
 */
export function prmPicklist<const T extends readonly [string, ...string[]]>(values: T) {
  return z.preprocess(readPicklist(values), z.union([z.enum(values), z.string()]).nullish());
}

/** The reader of a picklist field: its value trimmed, and one of `values` when it is one but for letter case (`" channel"` is Channel); else as sent. */
export function readPicklist(values: readonly string[]): (value: unknown) => unknown {
  const byFold = new Map(values.map((v) => [v.toLowerCase(), v]));
  return (value) => {
    const t = trimmed(value);
    return typeof t === 'string' ? (byFold.get(t.toLowerCase()) ?? t) : t;
  };
}

/** Whether a value is one email address a provider takes (`jane@contoso.example`; not `jane@`, not `Jane <jane@contoso.example>`). */
export const isEmailAddress = (value: unknown): boolean => typeof value === 'string' && z.email().safeParse(value).success;

/**
 * A PRM email field a partner typed (an MDF request's Submitted By Email): trimmed (a space a copy-paste
 * left is no reason to lose the request), null when blank, and otherwise kept as sent, an address or not:
 * `isEmailAddress` tells which. A request is never refused over it: the recipes email the partner's
 * contact instead, or tell ops the value when that is no address either (mdf.partner_address).
 */
export const PrmEmail = z.preprocess(blankIsNull, z.string().nullish());

/** A PRM number field's value where only a number will do (a sum, a Salesforce amount): the number, else null (blank or unreadable). */
export const numberOrNull = (value: number | string | null | undefined): number | null => (typeof value === 'number' ? value : null);

/** D6, D15: what the partner is told about a number field holding text that is not plainly one number. */
export const unreadableNumber = (label: string, value: string): string =>
  `${label} could not be read as a number: ${JSON.stringify(value)}. Please give it in digits, with a point before any cents and no currency or thousands separators, e.g. 2500 or 2500.50.`;

/** D6, D15: what the partner is told about a date field holding something that is not a calendar date. */
export const unreadableDate = (label: string, value: string): string => `${label} could not be read as a date: ${JSON.stringify(value)}. Please give it as YYYY-MM-DD, e.g. 2026-06-04.`;
