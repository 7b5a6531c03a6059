/**
 * A line break the PRM holds in a text field, typed in the portal (its own forms keep them; imports and
 * web forms fold them at intake): with the whitespace around it, one space. The lead-share actions fold
 * what they hand a template, so a name or company on two lines splits no line of a list (a digest lists
 * one lead a line) and the template keeps its plain form, which renders 100,000 leads without JSONata.
 */
const BREAK_RUN = /\s*[\r\n]+\s*/g;

/** `value` with each line break (and the whitespace around it) folded to one space, trimmed; unchanged without one. */
export function oneLine(value: string): string {
  return value.includes('\n') || value.includes('\r') ? value.replace(BREAK_RUN, ' ').trim() : value;
}

/**
 * `record` with every text field folded by oneLine; the record itself when none has a line break (the
 * usual case: nothing is copied, so a digest of 100,000 leads costs one scan of their text fields).
 */
export function withTextOnOneLine<T extends Record<string, unknown>>(record: T): T {
  let copy: Record<string, unknown> | undefined;
  for (const key in record) {
    const value = record[key];
    if (typeof value !== 'string') continue;
    const folded = oneLine(value);
    if (folded === value) continue;
    copy ??= { ...record };
    copy[key] = folded;
  }
  return (copy ?? record) as T;
}
