import type { Recipe } from '../../schemas/recipe.ts';
import { tableProblemsOfRecipes, type TableProblem } from '../engine/table-keys.ts';
import { loadTables, TableError, type Tables } from '../engine/tables.ts';
import { checkTables } from './check-tables.ts';
import { checkTimerTrigger } from './check-timer-trigger.ts';
import { formatProblem, toProblems } from './recipe-problem.ts';

/** The table files of a folder as they are on disk now, checked as `partnerflow validate` and a start check them. */
export interface TableFilesCheck {
  /** The tables as a start would read them now; undefined when the folder does not load. */
  tables: Tables | undefined;
  /**
   * Every problem, one line each in the words `validate` prints (and a refused start shows), with the
   * table it is about; `table` is '' for a line about the folder as a whole.
   */
  problems: TableProblem[];
}

/**
 * The table files in `dir` checked as `validate` and a start check them, against the given recipes
 * (the ones on disk, as a start would read them): the folder loads (loadTables: each file's JSON and
 * rows, the checks across tables), each table a recipe reads is there (the recipe's own check, in its
 * file's words), and the recipes read them with one row per key, each offset day once
 * (tableProblemsOfRecipes). The console's recipes page shows them: the running process read its
 * tables at start and never again, so an edit on disk shows there before a restart is refused.
 */
export function checkTableFiles(dir: string, recipes: readonly { definition: Recipe; file: string }[]): TableFilesCheck {
  let tables: Tables;
  try {
    tables = loadTables(dir);
  } catch (error) {
    if (!(error instanceof TableError)) throw error;
    return { tables: undefined, problems: error.message.split('\n').map((message) => ({ table: tableNamedBy(message, dir), message })) };
  }
  const names = tables.names();
  // A table a recipe reads that is gone from the folder: the recipe's own check (its unknown table), as
  // a start would refuse the recipe; its other findings (columns) do not depend on the files.
  const missing = recipes.flatMap(({ definition, file }) =>
    toProblems(file, [...checkTables(definition, names, dir), ...checkTimerTrigger(definition, names, dir)].filter((f) => f.message.startsWith('unknown table'))).map((problem) => ({
      table: /^unknown table "([^"]+)"/.exec(problem.message)?.[1] ?? '',
      message: formatProblem(problem),
    })),
  );
  return { tables, problems: [...missing, ...tableProblemsOfRecipes(recipes, tables, dir)] };
}

/**
 * The table a line of loadTables is about: each begins with its table, `<dir>/<table>:`, or its file,
 * `<dir>/<table>.json:`; '' when it names none.
 */
function tableNamedBy(line: string, dir: string): string {
  if (!line.startsWith(`${dir}/`)) return '';
  return /^([^/:]+?)(?:\.json)?:/.exec(line.slice(dir.length + 1))?.[1] ?? '';
}
