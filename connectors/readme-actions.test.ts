import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONNECTORS } from './index.ts';

/**
 * The README's list of the actions a recipe may call (the "Actions of the shipped connectors" bullet of
 * "Writing recipes"): an action missing there is one an author does not know exists; one listed that
 * the catalog lacks fails validation when an author writes it.
 */
function readmeActions(): string[] {
  const readme = readFileSync(resolve(import.meta.dirname, '../README.md'), 'utf8');
  const start = readme.indexOf('- **Actions** of the shipped connectors');
  expect(start, 'the README has the Actions bullet').toBeGreaterThan(0);
  const bullet = readme.slice(start, readme.indexOf('\n- **', start + 1));
  // `<connector>.<action>`; the events listed there have two dots (`prm.mdf_request.submitted`).
  return [...new Set([...bullet.matchAll(/`([a-z]+\.[a-z_]+)`/g)].map((m) => m[1]!))].sort();
}

function catalogActions(): string[] {
  return CONNECTORS.flatMap((connector) => Object.keys(connector.actions).map((action) => `${connector.name}.${action}`)).sort();
}

describe('the README lists every connector action, and only those', () => {
  it('names each action of the catalog', () => {
    const listed = new Set(readmeActions());
    expect(catalogActions().filter((action) => !listed.has(action))).toEqual([]);
  });

  it('names no action the catalog does not have', () => {
    const actions = new Set(catalogActions());
    expect(readmeActions().filter((action) => !actions.has(action))).toEqual([]);
  });
});
