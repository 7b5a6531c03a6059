import type { z } from 'zod';
import { formatPath } from '../../schemas/format-issues.ts';

/**
 * An action's input that its schema refuses, one issue a clause, each naming the expression of the
 * step's `input` that computed the value: `input.to[0]: required, but {% $steps.settings.ops_email %}
 * computed nothing`. zod said "Invalid input: expected string, received undefined", which leaves the
 * author to work out which expression of the recipe it was.
 */
export function describeInputIssues(issues: readonly z.core.$ZodIssue[], mapping: unknown): string {
  return issues
    .map((issue) => {
      const path = formatPath(['input', ...issue.path]);
      const source = expressionAt(mapping, issue.path);
      const absent = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
      if (absent) return source ? `${path}: required, but ${source} computed nothing` : `${path}: required`;
      return source ? `${path}: ${issue.message} (computed by ${source})` : `${path}: ${issue.message}`;
    })
    .join('; ');
}

/** The `{% … %}` of the mapping that gave the value at `path` (itself, or the nearest above it). */
function expressionAt(mapping: unknown, path: readonly PropertyKey[]): string | undefined {
  let node = mapping;
  for (const key of path) {
    if (typeof node === 'string') break;
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key as string];
  }
  return typeof node === 'string' && /^\{%[\s\S]*%\}$/.test(node.trim()) ? node.trim() : undefined;
}
