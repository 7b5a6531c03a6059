import type { z } from 'zod';

/** A JSON path as users read it: `steps[2].input.to`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

/** One line per zod issue, each with its JSON path (prefixed by `base` when the value sits deeper). */
export function formatIssues(issues: readonly z.core.$ZodIssue[], base: readonly PropertyKey[] = []): string {
  return issues.map((issue) => `${formatPath([...base, ...issue.path])}: ${issue.message}`).join('; ');
}
