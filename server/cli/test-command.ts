import { CONNECTORS } from '../../connectors/index.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { NoSuchPathError } from '../find-files.ts';
import { findScenarioFiles, formatResult, runScenarioFiles, summaryLine } from '../harness/scenario-files.ts';
import type { Command } from './main.ts';
import { scenariosBesideRecipesNotLoaded } from './outside-recipes-dir.ts';
import { isExpectedStartupError } from './startup-error.ts';

const USAGE = `Usage: partnerflow test [--keep-going] [paths...]

Runs scenario files (*.scenario.json; default: every one under RECIPES_DIR, ./recipes) against the
simulated PRM, Salesforce, Marketo and email on a virtual clock, with the recipes of RECIPES_DIR, the
tables of TABLES_DIR and the email templates of EMAIL_TEMPLATES_DIR (both default to folders in
RECIPES_DIR). The paths (files or folders) may be anywhere. Prints each scenario, expected
against actual for failures (files relative to the current folder, or absolute outside it), and
ends on the line "N passed, N failed". Exit code 0 only when all passed; 1 when one failed, a
scenario file is invalid, none was found or the recipes do not load; 2 on a path that does not exist.

Options:
  --keep-going  run every step of a scenario after one failed, and report each failing step
                (by default the first failing step ends its scenario)`;


export const testCommand: Command = {
  usage: USAGE,
  options: { 'keep-going': { type: 'boolean' } },
  async run({ positionals, values }) {
    let config;
    try {
      // Only the folders: a scenario reads no other variable (harnessConfig), so a deployment's own in
      // the shell (an SMTP relay, a production PRM) neither reaches a scenario nor stops the command.
      const { RECIPES_DIR, TABLES_DIR, EMAIL_TEMPLATES_DIR } = process.env;
      config = loadConfig({ RECIPES_DIR, TABLES_DIR, EMAIL_TEMPLATES_DIR }, { mock: true, connectors: CONNECTORS });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      console.error(`partnerflow test: ${error.message}`);
      return 1;
    }
    const paths = positionals.length ? positionals : [config.recipesDir];
    let files: string[];
    try {
      files = findScenarioFiles(paths);
    } catch (error) {
      if (!(error instanceof NoSuchPathError)) throw error;
      console.error(`partnerflow test: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (files.length === 0) {
      console.error(`partnerflow test: no *.scenario.json files found in ${paths.join(', ')}`);
      console.log(summaryLine([]));
      return 1;
    }
    let results;
    try {
      results = await runScenarioFiles(files, {
        recipesDir: config.recipesDir,
        tablesDir: config.tablesDir,
        emailTemplatesDir: (config.connectors.email as { templatesDir: string }).templatesDir,
        keepGoing: values['keep-going'] === true,
        onResult: (r) => console.log(formatResult(r)),
      });
    } catch (error) {
      const count = files.length === 1 ? 'the scenario' : `the ${files.length} scenarios`;
      const why = isExpectedStartupError(error) ? `the recipes or tables they need did not load:\n${error.message}` : `${(error as Error).stack ?? String(error)}`;
      console.error(`partnerflow test: cannot run ${count}: ${why}`);
      // Not one ran, so not one passed: the closing line says so, as it does for any failure.
      console.log(summaryLine([], files.length));
      return 1;
    }
    console.log(summaryLine(results));
    const failed = files.filter((_, i) => (results[i]?.failures.length ?? 0) > 0);
    for (const note of scenariosBesideRecipesNotLoaded(failed, config.recipesDir)) console.error(note);
    return results.every((r) => r.failures.length === 0) ? 0 : 1;
  },
};

