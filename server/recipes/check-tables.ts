import type { Recipe } from '../../schemas/recipe.ts';
import { didYouMean } from './closest-name.ts';
import type { Finding } from './recipe-problem.ts';
import { walkSteps } from './walk-steps.ts';

/** Every `lookup` step must read a table that exists in TABLES_DIR; otherwise it would fail every run. */
export function checkTables(recipe: Recipe, tables: readonly string[]): Finding[] {
  const findings: Finding[] = [];
  for (const { step, path } of walkSteps(recipe)) {
    if (step.type !== 'lookup' || tables.includes(step.table)) continue;
    const known = tables.length > 0 ? `; tables: ${tables.join(', ')}` : '; there are no tables';
    findings.push({ path: [...path, 'table'], message: `unknown table "${step.table}"${didYouMean(step.table, tables) || known}` });
  }
  return findings;
}
