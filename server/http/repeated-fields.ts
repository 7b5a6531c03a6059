/**
 * The field names a decision body gives more than once: `decision=deny&decision=approve` in a form, or
 * `{"decision":"deny","decision":"approve"}` in JSON. Both parsers keep one of the values silently (the
 * last), so the decision recorded would not be one the sender can be said to have made; the route
 * refuses such a body instead. `text` is known to be valid JSON when `json` is true.
 */
export function repeatedFields(text: string, json: boolean): string[] {
  const names = json ? topLevelKeys(text) : [...new URLSearchParams(text).keys()];
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const name of names) (seen.has(name) ? repeated : seen).add(name);
  return [...repeated];
}

/**
 * The keys of a JSON text's outermost object, in order and with repeats (JSON.parse keeps only the
 * last of each). A scan, not a parser: it only tells strings apart from the rest and tracks nesting.
 */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let outermostIsObject = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const token = text.slice(i, end + 1);
      i = end;
      if (depth !== 1 || !outermostIsObject) continue;
      // In an object a string followed by a colon is a key; a value is followed by a comma or the end.
      let next = end + 1;
      while (/\s/.test(text[next] ?? '')) next++;
      if (text[next] === ':') keys.push(JSON.parse(token) as string);
    } else if (char === '{' || char === '[') {
      if (depth === 0) outermostIsObject = char === '{';
      depth++;
    } else if (char === '}' || char === ']') depth--;
  }
  return keys;
}
