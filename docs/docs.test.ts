import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../connectors/index.ts';
import { BusinessCalendar } from '../server/engine/business-calendar.ts';
import { ConnectorCatalog } from '../server/engine/connector-registry.ts';
import { loadTables } from '../server/engine/tables.ts';
import { loadRecipes } from '../server/recipes/load-recipes.ts';
import { walkSteps } from '../server/recipes/walk-steps.ts';
import { KNOWN_TABLES } from '../schemas/tables.ts';

/**
 * Keeps docs/ true to the repository (docs/README.md lists the checks): the rules cited anywhere are
 * defined in rules.md, and the files, recipe steps, tables and settings the docs name exist.
 */

const docsDir = dirname(fileURLToPath(import.meta.url));
const root = join(docsDir, '..');
const RULE_COUNT = 29;

const read = (path: string) => readFileSync(join(root, path), 'utf8');
const rulesMd = read('docs/rules.md');
const systemsMd = read('docs/systems.md');
const docPages = { 'docs/rules.md': rulesMd, 'docs/systems.md': systemsMd, 'docs/README.md': read('docs/README.md') };

/** Files under `dir` (relative to the root) whose names end with one of `endings`, node_modules left out. */
function filesUnder(dir: string, endings: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (abs: string) => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const path = join(abs, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (endings.some((e) => entry.name.endsWith(e))) found.push(relative(root, path));
    }
  };
  walk(join(root, dir));
  return found.sort();
}

/** Every `D<n>` in a text, with the line it is on. */
function ruleCitations(text: string): Array<{ rule: string; line: number }> {
  const found: Array<{ rule: string; line: number }> = [];
  text.split('\n').forEach((content, i) => {
    for (const match of content.matchAll(/\bD\d+\b/g)) found.push({ rule: match[0], line: i + 1 });
  });
  return found;
}

/** The text inside single backticks of a Markdown page. */
function codeSpans(markdown: string): string[] {
  return [...markdown.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
}

const definedRules = [...rulesMd.matchAll(/^### (D\d+)\. \S/gm)].map((m) => m[1]!);

describe('docs/rules.md defines the rules', () => {
  it(`has one heading per rule, D1 to D${RULE_COUNT}, in order`, () => {
    expect(definedRules).toEqual(Array.from({ length: RULE_COUNT }, (_, i) => `D${i + 1}`));
  });

  it('gives each rule its rule text, what is inferred, a status and where it lives', () => {
    const sections = rulesMd.split(/^### (?=D\d+\. )/m).slice(1);
    const incomplete = sections
      .map((section) => ({ rule: section.split('.')[0]!, section }))
      .filter(({ section }) => !['**Rule:**', '**Inferred:**', '**Status:**', '**Where:**'].every((part) => section.includes(part)))
      .map(({ rule }) => rule);
    expect(incomplete, 'rules missing one of Rule / Inferred / Status / Where').toEqual([]);
  });
});

describe('every rule cited in the project is defined in docs/rules.md', () => {
  const cited = [
    ...filesUnder('recipes', ['.json']),
    ...['server', 'connectors', 'mocks', 'schemas'].flatMap((dir) => filesUnder(dir, ['.ts', '.json', '.md'])),
    'README.md',
  ];

  it('finds citations to check (the scan itself works)', () => {
    const all = cited.flatMap((file) => ruleCitations(read(file)));
    expect(all.length).toBeGreaterThan(50);
  });

  it('D<n> in recipes, scenarios, tables, code, tests and the README are headings of docs/rules.md', () => {
    const undefinedCitations = cited.flatMap((file) =>
      ruleCitations(read(file))
        .filter((c) => !definedRules.includes(c.rule))
        .map((c) => `${file}:${c.line}: ${c.rule} is not a rule of docs/rules.md`),
    );
    expect(undefinedCitations).toEqual([]);
  });
});

describe('what the docs name exists', () => {
  const PATH = /^(?:bench|bin|connectors|docs|mocks|recipes|schemas|server|test)\/[\w./-]*$/;

  it('every file or folder path named in docs/ exists in the repository', () => {
    const missing = Object.entries(docPages).flatMap(([page, text]) =>
      codeSpans(text)
        .filter((span) => PATH.test(span))
        .filter((path) => !existsSync(join(root, path)))
        .map((path) => `${page} names ${path}, which does not exist`),
    );
    expect(missing).toEqual([]);
  });

  describe('recipe steps', () => {
    const stepIds = new Map<string, Set<string>>();
    beforeAll(async () => {
      const recipesDir = join(root, 'recipes');
      const tables = loadTables(join(recipesDir, 'tables'));
      const recipes = await loadRecipes(recipesDir, { catalog: new ConnectorCatalog(CONNECTORS), tables: tables.names() });
      for (const { definition } of recipes) stepIds.set(definition.name, new Set([...walkSteps(definition)].map((p) => p.step.id)));
    });

    it('every `recipe#step` named in docs/rules.md is a step of that recipe', () => {
      const refs = codeSpans(rulesMd).filter((span) => /^[a-z][a-z0-9-]*#[a-z_][a-z0-9_]*$/.test(span));
      expect(refs.length).toBeGreaterThan(0);
      const missing = refs
        .map((ref) => ref.split('#') as [string, string])
        .filter(([recipe, step]) => !stepIds.get(recipe)?.has(step))
        .map(([recipe, step]) => (stepIds.has(recipe) ? `recipe ${recipe} has no step ${step}` : `no recipe is named ${recipe}`));
      expect(missing).toEqual([]);
    });
  });

  it('docs/rules.md describes every column of the tables ops maintain', () => {
    const spans = new Set(codeSpans(rulesMd));
    const columns: Record<string, string[]> = {
      ...Object.fromEntries(Object.entries(KNOWN_TABLES).map(([name, schema]) => [name, Object.keys((schema as unknown as { shape: object }).shape)])),
      'business-calendar': Object.keys((BusinessCalendar as unknown as { shape: object }).shape),
    };
    const missing = Object.entries(columns).flatMap(([table, keys]) =>
      [table, ...keys].filter((key) => !spans.has(key)).map((key) => `table ${table}: \`${key}\` is not described`),
    );
    expect(missing).toEqual([]);
  });
});

describe('docs/systems.md and the connectors name the same settings', () => {
  const read = new Set(CONNECTORS.flatMap((c) => Object.values(c.env as Record<string, string>)));
  const named = new Set(codeSpans(systemsMd).filter((span) => /^(?:PRM|SALESFORCE|EMAIL|MARKETO|SMTP|APPROVAL|LEAD)_[A-Z0-9_]+$/.test(span)));

  it('every variable a connector reads is described', () => {
    expect([...read].filter((v) => !named.has(v))).toEqual([]);
  });

  it('every connector variable the page names is one a connector reads', () => {
    expect([...named].filter((v) => !read.has(v))).toEqual([]);
  });
});

describe('the project cites its own docs, not the unshipped source documents', () => {
  /** DOMAIN.md and SYSTEMS.md (and their folder) are not in the repository: a reader cannot follow them. */
  const SOURCE_DOCUMENT = /\b(?:DOMAIN|SYSTEMS)\.md\b|\/work\/shared\b/;
  const TEXT_FILES = ['.ts', '.js', '.mjs', '.cjs', '.json', '.md', '.txt', '.yml', '.yaml'];
  // docs/ may name the source documents when it says where the rules came from; dist/ is build output.
  const citing = ['bench', 'bin', 'connectors', 'mocks', 'recipes', 'schemas', 'server', 'test']
    .filter((dir) => existsSync(join(root, dir)))
    .flatMap((dir) => filesUnder(dir, TEXT_FILES))
    .concat(readdirSync(root).filter((name) => TEXT_FILES.some((e) => name.endsWith(e))))
    .flatMap((file) =>
      read(file)
        .split('\n')
        .flatMap((content, i) => (SOURCE_DOCUMENT.test(content) ? [{ file, line: i + 1 }] : [])),
    );

  it('no file outside docs/ cites DOMAIN.md or SYSTEMS.md: rules are docs/rules.md, API contracts docs/systems.md', () => {
    const found = citing.map(({ file, line }) => `${file}:${line} cites an unshipped source document; cite docs/rules.md or docs/systems.md (its section)`);
    expect(found).toEqual([]);
  });

});
