import type { z } from 'zod';
import { ExpectedRun, Scenario, ScenarioStep } from '../../schemas/scenario.ts';
import { didYouMean } from '../recipes/closest-name.ts';
import type { Finding } from '../recipes/recipe-problem.ts';
import { describeSchemaIssues, quotedValueHint, type KnownKeys } from '../recipes/schema-issues.ts';
import { schemaKeysAt } from '../recipes/schema-keys.ts';

type Issue = z.core.$ZodIssue;

/** The step kinds in the order of the union: each branch is an object with exactly this one key. */
const STEP_KINDS: readonly string[] = ScenarioStep.options.map((option) => Object.keys(option.shape)[0]!);
/** The statuses a `runs` expectation may name, the usual one first. */
const RUN_STATUSES = ['completed', ...ExpectedRun.shape.status.options.filter((status) => status !== 'completed')];

/**
 * A scenario's schema issues as findings a user can act on. A step that fits no kind is one union
 * failure to zod ("Invalid input" at `steps[3]`); the key the step has says which kind was meant, so
 * that kind's own issues are reported, and a key that is no kind is named with the kinds there are.
 * A misspelt key (`stesp`, `runz`) is answered with the closest key the format has there.
 */
export function describeScenarioIssues(issues: readonly Issue[], input: unknown): Finding[] {
  const knownKeys: KnownKeys = (path) => schemaKeysAt(Scenario, path, input);
  const findings = issues.flatMap((issue) => {
    const index = stepIndex(issue);
    if (index === undefined) return describeSchemaIssues([issue], [], knownKeys);
    return describeStep(issue as Extract<Issue, { code: 'invalid_union' }>, (input as { steps: unknown[] }).steps[index], knownKeys);
  });
  return findings.map((finding) => runStatusMissing(finding, input) ?? quotedValueHint(finding, input));
}

/**
 * A `runs` expectation without `status`: zod lists the statuses as a mistake in one; the author left it
 * out (a run that merely exists is no outcome), so say what to write, in the entry it belongs to.
 */
function runStatusMissing(finding: Finding, input: unknown): Finding | undefined {
  const [steps, , expect, runs, , field] = finding.path;
  if (finding.path.length !== 6 || steps !== 'steps' || expect !== 'expect' || runs !== 'runs' || field !== 'status') return undefined;
  const entry = finding.path.slice(0, 5).reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined), input);
  if (entry === null || typeof entry !== 'object' || 'status' in entry) return undefined;
  const recipe = (entry as { recipe?: unknown }).recipe;
  const whose = typeof recipe === 'string' ? `the runs of ${recipe}` : 'the runs';
  const [usual, ...others] = RUN_STATUSES;
  return { path: finding.path, message: `missing: say which status ${whose} must have now: add "status": "${usual}" (or ${others.join(', ')})` };
}

function stepIndex(issue: Issue): number | undefined {
  const [steps, index, ...deeper] = issue.path;
  if (issue.code !== 'invalid_union' || steps !== 'steps' || typeof index !== 'number' || deeper.length > 0) return undefined;
  return index;
}

function describeStep(issue: Extract<Issue, { code: 'invalid_union' }>, step: unknown, knownKeys: KnownKeys): Finding[] {
  const path = issue.path;
  const kinds = `a step is one of: ${STEP_KINDS.join(', ')}`;
  if (step === null || typeof step !== 'object' || Array.isArray(step)) {
    return [{ path, message: `expected an object such as { "advance": "P1D" } (${kinds}), got ${JSON.stringify(step)}` }];
  }
  const keys = Object.keys(step);
  const known = keys.filter((key) => STEP_KINDS.includes(key));
  if (known.length === 1) return describeSchemaIssues(issue.errors[STEP_KINDS.indexOf(known[0]!)]!, path, knownKeys);
  if (known.length > 1) return [{ path, message: `a step does one thing, this one has ${known.map((k) => `"${k}"`).join(' and ')}: split it into one step each` }];
  if (keys.length === 0) return [{ path, message: `an empty step; ${kinds}` }];
  return [{ path, message: `unknown step ${keys.map((k) => `"${k}"${didYouMean(k, STEP_KINDS)}`).join(', ')}; ${kinds}` }];
}
