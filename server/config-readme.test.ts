import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '../connectors/index.ts';
import { RUNTIME_VARIABLES, webhookSecretVariable } from './config.ts';

/**
 * README "Configuration" is where ops look a variable up: every variable the runtime reads (its own,
 * each connector's, the webhook secrets, and any read straight from process.env by a command) is in
 * its table, and the table names no variable nothing reads.
 */
const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The variable names in the first column of README's configuration table. */
function documentedVariables(): Set<string> {
  const section = readme.slice(readme.indexOf('\n## Configuration\n'));
  const table = section.slice(section.indexOf('| variable | default | meaning |'));
  const rows = table.slice(0, table.search(/\n(?!\|)/)).split('\n');
  return new Set(rows.flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!)));
}

/** Source files of the shipped runtime (no tests, no test support). */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return /\.ts$/.test(name) && !/\.(test|contract)\.ts$/.test(name) ? [path] : [];
  });
}

const readByCode = new Set<string>([
  ...Object.keys(RUNTIME_VARIABLES),
  ...CONNECTORS.flatMap((connector) => Object.values(connector.env as Record<string, string>)),
  ...CONNECTORS.filter((connector) => connector.events && Object.keys(connector.events).length > 0).map((connector) => webhookSecretVariable(connector.name)),
  ...['server', 'connectors', 'bin'].flatMap((dir) => sourceFiles(join(root, dir))).flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/process\.env\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!)),
]);

describe('README "Configuration" names every variable the runtime reads', () => {
  it('has a row for each variable of the runtime, the connectors and the commands', () => {
    const documented = documentedVariables();
    expect([...readByCode].filter((variable) => !documented.has(variable))).toEqual([]);
  });

  it('names no variable that nothing reads', () => {
    expect([...documentedVariables()].filter((variable) => !readByCode.has(variable))).toEqual([]);
  });
});
