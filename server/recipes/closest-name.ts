/**
 * ` (did you mean "get_mdf_request"?)` when a known name is a small typo away from `name`, else an
 * empty string: validation messages end with it so a misspelt id, action or table is fixed at a glance.
 */
export function didYouMean(name: string, known: Iterable<string>): string {
  const best = closestName(name, known);
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

/** The known name a small typo away from `name` (the closest), or undefined. */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  // A typo is an edit or two; allowing more suggests unrelated names that merely share a prefix.
  let bestDistance = name.length <= 4 ? 2 : name.length <= 12 ? 3 : 4;
  let best: string | undefined;
  for (const candidate of known) {
    const distance = typoDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * The known name that `name` is plainly a slip of: the same letters in another case (`ID`, `id`), or
 * one edit away in a name of four letters or more (`mdfNumbr`, `mdfNumber`); undefined when none is. Stricter than closestName: used
 * where an unknown name may still be right (a field a schema lets through without listing it).
 */
export function nearMiss(name: string, known: Iterable<string>): string | undefined {
  const candidates = [...known].filter((candidate) => candidate !== name);
  const sameLetters = candidates.find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  // In a name of three letters or fewer one edit is a third of it: `ip` is no slip of `id`.
  return sameLetters ?? (name.length > 3 ? candidates.find((candidate) => typoDistance(name, candidate) === 1) : undefined);
}

/**
 * Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`: the optimal string
 * alignment distance, so that "Titel" is one edit from "Title".
 */
function typoDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}
