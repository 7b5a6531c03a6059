import type { Issue } from '../../schemas/format-issues.ts';
import { didYouMean } from '../recipes/closest-name.ts';

/**
 * What a listing's query string would get wrong without a word, as issues for a 400 (none when it is
 * fine): a parameter the route does not take, since a typo (`?stauts=failed`) would list everything as
 * if no filter was given, and a parameter given more than once (`?status=waiting&status=failed`), since
 * only the first would be read and the listing would look complete.
 */
export function queryParameterIssues(given: Record<string, string[]>, takes: readonly string[], formerNames: readonly string[] = []): Issue[] {
  const issues: Issue[] = [];
  for (const [name, values] of Object.entries(given)) {
    const shown = name.slice(0, 100);
    // A former name (`runs_after`, now `runsAfter`) is still read, but not offered.
    if (!takes.includes(name) && !formerNames.includes(name)) {
      issues.push({ path: shown, message: `not a parameter of this listing${didYouMean(shown, takes)}; it takes ${takes.join(', ')}` });
    } else if (values.length > 1) {
      issues.push({ path: shown, message: `given ${values.length} times; give it once (only one value is read)` });
    }
  }
  return issues;
}
