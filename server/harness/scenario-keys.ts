import { Scenario } from '../../schemas/scenario.ts';
import { schemaKeysAt } from '../recipes/schema-keys.ts';

/**
 * The keys the scenario format has for the object at `path` of a scenario file (`[]`: the top,
 * `['steps', 2, 'expect']`: an expect step's), so a misspelt key can be answered with the closest one;
 * undefined where the path leads to no object of the format.
 */
export function scenarioKeysAt(path: readonly PropertyKey[], input: unknown): string[] | undefined {
  return schemaKeysAt(Scenario, path, input);
}
