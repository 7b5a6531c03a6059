/**
 * `text` without a leading UTF-8 byte order mark (U+FEFF). Windows editors save files with one; it is
 * invisible, not part of the content (RFC 8259 8.1 lets a JSON parser ignore it), and kept it would stop
 * a start on "Unexpected token" in a table, recipe or scenario, or a template's front matter check.
 */
export function withoutByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
