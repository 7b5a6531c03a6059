import { formatPath } from '../../schemas/format-issues.ts';
import type { Recipe } from '../../schemas/recipe.ts';
import { walkSteps, type PlacedStep } from './walk-steps.ts';

/**
 * Which step results an expression can see. The interpreter fills `steps.<id>` as each step finishes
 * and never clears it, so an expression reads the steps that finished before it is evaluated: earlier
 * siblings and everything nested in them, and the steps it sits inside (an `if` has its branch, a
 * `foreach` its items, a failed action its error, a `wait_for` its outcome before their nested steps
 * run). It never sees a later step, its own step, a step nested in its own step, the other branch of
 * an `if`, or (from the main steps) the recipe's `on_error`, which runs only after they have failed.
 * Such a read is always empty, or, inside a foreach, empty until the step has run for an earlier item
 * and then that item's result: never the one meant, a bug that would otherwise show only at run time.
 */
export class StepOrder {
  readonly #placed: PlacedStep[];
  readonly #byId = new Map<string, PlacedStep>();
  readonly #byPath = new Map<string, PlacedStep>();

  constructor(recipe: Pick<Recipe, 'steps' | 'on_error'>) {
    this.#placed = [...walkSteps(recipe)];
    for (const placed of this.#placed) {
      // A duplicate id is reported on its own; references resolve to the first, as the message about it says.
      if (!this.#byId.has(placed.step.id)) this.#byId.set(placed.step.id, placed);
      this.#byPath.set(key(placed.path), placed);
    }
  }

  ids(): string[] {
    return [...this.#byId.keys()];
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /** The innermost step whose own fields hold the value at `path`; undefined outside the steps (trigger, cancel_on). */
  stepAt(path: readonly (string | number)[]): PlacedStep | undefined {
    for (let length = path.length; length > 0; length--) {
      const found = this.#byPath.get(key(path.slice(0, length)));
      if (found) return found;
    }
    return undefined;
  }

  /**
   * Why the value at `path` can never see the result of step `id` (which must exist), as the end of a
   * sentence starting "reads steps.<id>, but "; null when it can.
   */
  whyUnreadable(id: string, path: readonly (string | number)[]): string | null {
    const target = this.#byId.get(id)!;
    const reader = this.stepAt(path);
    const t = describe(target);
    if (!reader) return `${formatPath(path.slice(0, 1))} is evaluated on the event alone: no step has run for it`;
    const r = describe(reader);
    const common = commonLength(target.path, reader.path);
    // The interpreter never clears steps.<id>, so in a loop a read that is empty on the first pass
    // sees what the step left there on an earlier one.
    const loop = this.#enclosingLoop(target.path.slice(0, common));
    const empty = loop
      ? `steps.${id} is empty here or left over from an earlier item of foreach "${loop.step.id}", never this item's`
      : `steps.${id} is always empty here`;
    const leftOver = loop ? `; ${empty}` : '';
    if (reader === target) return `that is the result of this very step ${r}, which does not exist until it has finished${leftOver}`;
    if (common === target.path.length) return null; // the reader is nested in the target, which has finished its part
    if (common === reader.path.length) return `step ${t} is nested in this step ${r}, so it runs after this is evaluated${leftOver}`;
    const [inTarget, inReader] = [target.path[common]!, reader.path[common]!];
    if (typeof inTarget === 'number' && typeof inReader === 'number') {
      if (inTarget < inReader) return null;
      return `step ${t} comes after this step ${r}, so ${empty}`;
    }
    if (common === 0) {
      // The only fork at the top: the recipe's steps and its on_error.
      if (inReader === 'on_error') return null;
      return `step ${t} is in the recipe's on_error, which runs only after the steps have failed, so steps.${id} is always empty in step ${r}`;
    }
    const fork = this.#byPath.get(key(target.path.slice(0, common)))!;
    const runs = loop ? 'only one of them runs for an item' : 'only one of them runs';
    return `step ${t} is in the ${String(inTarget)} branch of "${fork.step.id}" and this step ${r} in its ${String(inReader)} branch: ${runs}, so ${empty}`;
  }

  /** The innermost foreach whose steps hold what is at `path` (not the foreach itself, whose items are evaluated once). */
  #enclosingLoop(path: readonly (string | number)[]): PlacedStep | undefined {
    for (let length = path.length - 1; length > 0; length--) {
      const placed = this.#byPath.get(key(path.slice(0, length)));
      if (placed?.step.type === 'foreach' && path[length] === 'steps') return placed;
    }
    return undefined;
  }
}

function describe(placed: PlacedStep): string {
  return `"${placed.step.id}" (${formatPath(placed.path)})`;
}

function commonLength(a: readonly PropertyKey[], b: readonly PropertyKey[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function key(path: readonly PropertyKey[]): string {
  return JSON.stringify(path.map(String));
}
