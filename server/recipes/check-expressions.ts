import type { Recipe } from '../../schemas/recipe.ts';
import { calledFunctions, compileExpression, expressionsIn, KNOWN_FUNCTIONS, referencedSteps } from '../engine/expression.ts';
import { closestName, didYouMean } from './closest-name.ts';
import type { Finding } from './recipe-problem.ts';
import { StepOrder } from './step-order.ts';
import { walkSteps } from './walk-steps.ts';

/**
 * Every `{% … %}` string anywhere in the recipe (inputs, conditions, items, where, values, filters,
 * keys, cursors, deadlines) must compile, and every `steps.<id>` it reads must name a step of this
 * recipe that has finished where the expression is evaluated: a misspelt step id, or a step that
 * comes later, would otherwise read as "nothing" at run time and pass silently.
 */
export function checkExpressions(recipe: Recipe): Finding[] {
  const order = new StepOrder(recipe);
  const findings: Finding[] = [];
  const varNames = setVariables(recipe);
  for (const { source, path } of expressionsIn(recipe)) {
    try {
      compileExpression(source);
    } catch (error) {
      findings.push({ path, message: (error as Error).message });
      continue;
    }
    // review10: `$vars.ownr` for the `owner` a set step keeps read as nothing, and the run failed (or an
    // email showed a blank) far from the typo.
    for (const name of new Set([...source.matchAll(/\$vars\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))) {
      if (varNames.includes(name)) continue;
      const meant = didYouMean(name, varNames);
      findings.push({ path, message: `reads $vars.${name}, but no set step of the recipe sets "${name}"${meant || (varNames.length ? `; the set steps set: ${varNames.join(', ')}` : '')}: it is undefined in every run` });
    }
    // A foreach's item misspelt (`$itme.email` for `$item`) reads nothing in every pass of the loop.
    const loop = loopNamesAt(recipe, path);
    if (loop.length > 0) {
      const local = localNames(source);
      for (const name of new Set([...source.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))) {
        if (loop.includes(name) || RUN_SCOPE_NAMES.has(name) || KNOWN_FUNCTIONS.has(name) || local.has(name)) continue;
        const meant = closestName(name, loop);
        if (meant) findings.push({ path, message: `reads $${name}, which nothing binds here (did you mean "$${meant}", the foreach's ${meant === 'index' ? 'index' : 'item'}?): it is undefined in every pass` });
      }
    }
    for (const name of calledFunctions(source)) {
      if (KNOWN_FUNCTIONS.has(name)) continue;
      const closest = closestName(name, KNOWN_FUNCTIONS);
      findings.push({ path, message: `calls $${name}, which is not a function${closest ? ` (did you mean "$${closest}"?)` : ''}: a run would fail there` });
    }
    for (const { id, bracketed } of referencedSteps(source, { inputIsScope: inputIsScope(path, order) })) {
      const noSuchStep = order.has(id) ? '' : `no step has the id "${id}"${didYouMean(id, order.ids())}`;
      if (bracketed) {
        findings.push({ path, message: `reads steps['${id}'], which JSONata takes as a filter over all steps, not as step "${id}": write $steps.${id}${noSuchStep && `; ${noSuchStep}`}` });
        continue;
      }
      if (noSuchStep) {
        findings.push({ path, message: `reads steps.${id}, but ${noSuchStep}` });
        continue;
      }
      const why = order.whyUnreadable(id, path);
      if (why) findings.push({ path, message: `reads steps.${id}, but ${why}` });
    }
  }
  return findings;
}

/**
 * Whether the expression at `path` is evaluated with the run scope as its input, so that a name
 * without `$` (`steps.x`) reads the scope; `$steps` is bound wherever an expression is evaluated. The
 * interpreter evaluates step fields against the scope (a foreach's item and index included), but a
 * lookup's `where` expression once per table row with the row as input. Whatever is under `trigger`
 * and `cancel_on` is evaluated before the run exists, with the event (a webhook's filter and
 * dedup_key, cancel_on's filter), a polled item (cursor, dedup_key) or a record (a timer's date, while
 * and key) as input: there is no run scope there for a name to read.
 */
function inputIsScope(path: readonly (string | number)[], order: StepOrder): boolean {
  if (path[0] === 'trigger' || path[0] === 'cancel_on') return false;
  const placed = order.stepAt(path);
  // A `where` mapping is evaluated against the scope; only an expression string is matched per row.
  return !(placed?.step.type === 'lookup' && path.length === placed.path.length + 1 && path.at(-1) === 'where');
}

/** The names the recipe's `set` steps keep in `$vars`, anywhere in its steps. */
function setVariables(recipe: Recipe): string[] {
  const names = new Set<string>();
  for (const { step } of walkSteps(recipe)) if (step.type === 'set') for (const name of Object.keys(step.values)) names.add(name);
  return [...names];
}

/** What every step's expression has bound besides the functions and a foreach's names (interpreter.ts). */
const RUN_SCOPE_NAMES = new Set(['trigger', 'steps', 'vars', 'run', 'error']);

/** The names the foreach steps around `path` bind in their steps: each one's item (`as`, else `item`) and `index`. */
function loopNamesAt(recipe: Recipe, path: readonly (string | number)[]): string[] {
  const names: string[] = [];
  for (const { step, path: at } of walkSteps(recipe)) {
    if (step.type !== 'foreach' || path.length <= at.length + 1) continue;
    if (at.every((part, i) => path[i] === part) && path[at.length] === 'steps') names.push(step.as ?? 'item');
  }
  return names.length > 0 ? [...names, 'index'] : names;
}

/** Names an expression binds itself: `$x := …` and a lambda's parameters. */
function localNames(source: string): Set<string> {
  const names = new Set([...source.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)\s*:=/g)].map((m) => m[1]!));
  for (const lambda of source.matchAll(/function\s*\(([^)]*)\)/g)) for (const m of lambda[1]!.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1]!);
  return names;
}
