import { loadConfig } from '../config.ts';
import { CONNECTORS } from '../../connectors/index.ts';
import { findScenarioFiles, formatResult, runScenarioFiles, summaryLine } from '../harness/scenario-files.ts';
import type { Command } from './main.ts';
import { describeStartupError } from './startup-error.ts';

export const testCommand: Command = {
  usage: `Usage: partnerflow test [paths...]

Runs scenario files (*.scenario.json; default: every one under RECIPES_DIR, ./recipes) against the
simulated PRM, Salesforce and email on a virtual clock, with the recipes of RECIPES_DIR and the
tables of TABLES_DIR. Prints each scenario, expected against actual for failures, and ends on the
line "N passed, N failed". Exit code 0 only when all passed.`,
  options: {},
  async run({ positionals }) {
    const config = loadConfig(process.env, { mock: true, connectors: CONNECTORS });
    let files: string[];
    try {
      files = findScenarioFiles(positionals.length ? positionals : [config.recipesDir]);
    } catch (error) {
      console.error(`partnerflow test: ${(error as Error).message}`);
      return 2;
    }
    if (files.length === 0) {
      console.error('partnerflow test: no *.scenario.json files found');
      console.log(summaryLine([]));
      return 1;
    }
    let results;
    try {
      results = await runScenarioFiles(files, { recipesDir: config.recipesDir, tablesDir: config.tablesDir, onResult: (r) => console.log(formatResult(r)) });
    } catch (error) {
      console.error(describeStartupError(error));
      return 1;
    }
    console.log(summaryLine(results));
    return results.every((r) => r.failures.length === 0) ? 0 : 1;
  },
};
