import type { Finding } from './recipe-problem.ts';

/**
 * Findings in the order their places appear in the recipe, top to bottom, so that a user reading the
 * list walks the file once; findings at one place keep the order the checks found them in. A finding
 * about something missing (a required field) sorts where its parent is.
 */
export function inDocumentOrder(recipe: unknown, findings: readonly Finding[]): Finding[] {
  const order = new Map<string, number>();
  const visit = (value: unknown, path: PropertyKey[]) => {
    order.set(key(path), order.size);
    if (Array.isArray(value)) value.forEach((item, index) => visit(item, [...path, index]));
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
  };
  visit(recipe, []);
  const position = (path: readonly PropertyKey[]): number => {
    for (let length = path.length; length > 0; length--) {
      const found = order.get(key(path.slice(0, length)));
      if (found !== undefined) return found;
    }
    return 0;
  };
  return findings
    .map((finding, index) => ({ finding, index, at: position(finding.path) }))
    .sort((a, b) => a.at - b.at || a.index - b.index)
    .map(({ finding }) => finding);
}

function key(path: readonly PropertyKey[]): string {
  return JSON.stringify(path.map(String));
}
