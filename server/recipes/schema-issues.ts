import type { z } from 'zod';
import { didYouMean } from './closest-name.ts';
import type { Finding } from './recipe-problem.ts';

type Issue = z.core.$ZodIssue;

/** The keys the format has for the object at a path of the document (undefined: not known there). */
export type KnownKeys = (path: readonly PropertyKey[]) => readonly string[] | undefined;

/**
 * Zod's issues as findings users can act on. Zod says "Invalid input" when no branch of a union fits
 * (`on_error`, a delay, a lookup's `where`): when the value clearly meant one branch (it has the right
 * type but wrong contents), that branch's own issues are reported; otherwise what each branch expects.
 * Given `knownKeys`, a key the format does not have is answered with the closest key it has there.
 */
export function describeSchemaIssues(issues: readonly Issue[], base: readonly PropertyKey[] = [], knownKeys?: KnownKeys): Finding[] {
  return issues.flatMap((issue) => describe(issue, base, knownKeys));
}

function describe(issue: Issue, base: readonly PropertyKey[], knownKeys: KnownKeys | undefined): Finding[] {
  const path = [...base, ...issue.path];
  const known = issue.code === 'unrecognized_keys' ? knownKeys?.(path) : undefined;
  if (issue.code === 'unrecognized_keys' && known !== undefined) {
    // Zod's "Unrecognized key" leaves the author to guess what was meant; a misspelt key is mostly one edit away.
    return issue.keys.map((key) => {
      const closest = didYouMean(key, known);
      return { path, message: closest ? `unknown key "${key}"${closest}` : `unknown key "${key}"; the keys here are: ${known.join(', ')}` };
    });
  }
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const meant = issue.errors.filter((branch) => !branch.every(isWrongKind));
    if (meant.length === 1) return describeSchemaIssues(meant[0]!, path, knownKeys);
    const expected = issue.errors.map((branch) => branch.filter(isWrongKind).map(expectation).join(' and ')).filter(Boolean);
    // A field that is absent, where it may take one of several kinds (business_days: a number or an expression).
    const absent = issue.errors.every((branch) => branch.every((i) => i.code === 'invalid_type' && i.message.endsWith('received undefined')));
    return [{ path, message: absent ? `missing (expected ${orList(expected)})` : `Invalid input: expected ${orList(expected)}` }];
  }
  if (issue.code === 'too_small' && issue.origin === 'array' && Number(issue.minimum) === 1) {
    // zod: "Too small: expected array to have >=1 items". An empty branch is mostly one with nothing to do.
    const key = path.at(-1);
    const steps = key === 'steps' || key === 'then' || key === 'else' || key === 'on_timeout';
    const optional = key === 'else' || key === 'on_timeout';
    return [{ path, message: `empty: give at least one ${steps ? 'step' : 'item'}${optional ? `, or leave "${String(key)}" out` : ''}` }];
  }
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) {
    return [{ path, message: `missing (expected ${issue.expected})` }];
  }
  return [{ path, message: issue.message }];
}

/** The value is of another kind than the branch wants (a string where an object goes), at its root. */
function isWrongKind(issue: Issue): boolean {
  return issue.path.length === 0 && (issue.code === 'invalid_type' || issue.code === 'invalid_value');
}

function expectation(issue: Issue): string {
  if (issue.code === 'invalid_value') return issue.values.map((v) => JSON.stringify(v)).join(' or ');
  if (issue.code === 'invalid_type') return `${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
  return issue.message;
}

function orList(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? 'another value') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/**
 * A number or a boolean written in quotes (`"version": "1"`, `"required": "true"`): zod says "expected
 * number, received string"; say what to write instead, from the value in the document.
 */
export function quotedValueHint(finding: Finding, document: unknown): Finding {
  const kind = /^Invalid input: expected (number|boolean), received string$/.exec(finding.message)?.[1];
  if (!kind) return finding;
  const value = valueAt(document, finding.path);
  if (typeof value !== 'string') return finding;
  const written = value.trim();
  const reads = kind === 'number' ? written !== '' && Number.isFinite(Number(written)) : written === 'true' || written === 'false';
  if (!reads) return { ...finding, message: `expected a ${kind}, got the text ${JSON.stringify(value)}` };
  return { ...finding, message: `a ${kind}, written without quotes: ${kind === 'number' ? String(Number(written)) : written}, not ${JSON.stringify(value)}` };
}

/**
 * A step's or trigger's `type` that is no type (`"acton"`): zod lists the types ("Invalid discriminator
 * value. Expected 'action' | …"); name the one meant, from the value in the document.
 */
export function unknownTypeHint(finding: Finding, document: unknown): Finding {
  const listed = /^Invalid discriminator value\. Expected (.+)$/.exec(finding.message)?.[1];
  if (!listed) return finding;
  const types = [...listed.matchAll(/'([^']*)'/g)].map((m) => m[1]!);
  const value = valueAt(document, finding.path);
  const given = value === undefined ? 'missing' : `unknown ${String(finding.path.at(-1))} ${JSON.stringify(value)}`;
  const meant = typeof value === 'string' ? didYouMean(value, types) : '';
  return { ...finding, message: `${given}${meant}; one of: ${types.join(', ')}` };
}

function valueAt(document: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = document;
  for (const key of path) value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}
