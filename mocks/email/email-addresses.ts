/** One recipient of a comma-separated address list: `Jane Doe <jane@example.com>` or `jane@example.com`. */
export interface ParsedAddress {
  email: string;
  name: string;
}

/**
 * Splits a Postmark address list (`a@x.example, "Doe, Jane" <jane@x.example>`) into addresses; a comma
 * inside quotes belongs to the name. Returns the first entry that is not an address as an error, in
 * the provider's words.
 */
export function parseAddressList(field: string, value: string): { ok: true; addresses: ParsedAddress[] } | { ok: false; message: string } {
  const addresses: ParsedAddress[] = [];
  for (const part of splitOutsideQuotes(value)) {
    const entry = part.trim();
    if (entry === '') continue;
    const angled = /^(.*)<([^<>]*)>\s*$/.exec(entry);
    const email = (angled ? angled[2]! : entry).trim();
    const name = angled ? angled[1]!.trim().replace(/^"(.*)"$/, '$1') : '';
    if (!email.includes('@')) return { ok: false, message: `Error parsing '${field}': Illegal email address '${email}'. It must contain the '@' symbol.` };
    if (!/^[^\s@<>",]+@[^\s@<>",]+\.[^\s@<>",]+$/.test(email)) return { ok: false, message: `Error parsing '${field}': Illegal email address '${email}'.` };
    addresses.push({ email, name });
  }
  return { ok: true, addresses };
}

function splitOutsideQuotes(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const c of value) {
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}
