/**
 * A text cut to a field's length with `…` as its last character, unchanged when it fits: a Salesforce
 * text field refuses a longer value (400 STRING_TOO_LONG), which would keep the whole record out, while
 * the PRM keeps what people typed (a campaign name, a Funds Request title).
 */
export function cutToLength(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
