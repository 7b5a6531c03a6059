import { describe, expect, it } from 'vitest';
import { Recipe } from '../../schemas/recipe.ts';
import { recipeTableProblems } from '../engine/table-keys.ts';
import { createTables } from '../engine/tables.ts';
import { ScenarioTables } from './scenario-tables.ts';

describe('change_table on a table a recipe looks up by a key (review 6)', () => {
  const recipe = Recipe.parse({
    name: 'followup',
    version: 1,
    description: 'Tells the region\'s owner.',
    trigger: { type: 'webhook', event: 'prm.mdf_request.changed' },
    steps: [{ id: 'owner', type: 'lookup', table: 'followup-owners', where: { region: '{% $trigger.data.region %}' }, required: true }],
  });
  const shipped = createTables({ 'followup-owners': [{ region: 'EMEA', owner_email: 'old.owner@vendor.example' }] });
  const tables = () => new ScenarioTables(shipped, {}, (view) => recipeTableProblems([{ definition: recipe }], view, 'change_table'));

  it('refuses a second row for a key, as a restart on the edited file would, and leaves the table as it was', () => {
    const scenario = tables();
    expect(scenario.change({ table: 'followup-owners', add: [{ region: 'EMEA', owner_email: 'dana.new@vendor.example' }] })).toEqual([
      'change_table/followup-owners: rows[1]: repeats rows[0] (region "EMEA"); step owner of recipe followup looks the table up by region and reads one row per key: keep one, delete rows[0] if rows[1] replaces it (else delete rows[1])',
    ]);
    expect(scenario.rows('followup-owners')).toEqual([{ region: 'EMEA', owner_email: 'old.owner@vendor.example' }]);
  });

  it('takes the change made as ops should make it: the row edited in place', () => {
    const scenario = tables();
    expect(scenario.change({ table: 'followup-owners', where: { region: 'EMEA' }, set: { owner_email: 'dana.new@vendor.example' } })).toEqual([]);
    expect(scenario.rows('followup-owners')).toEqual([{ region: 'EMEA', owner_email: 'dana.new@vendor.example' }]);
  });
});

describe('seed.tables naming a table of TABLES_DIR misspelt (review10)', () => {
  const shipped = createTables({ 'followup-owners': [{ region: 'EMEA', owner_email: 'old.owner@vendor.example' }] });

  it('refuses the scenario before it runs, naming the table meant: the rows were seeded under a name no recipe reads', () => {
    expect(() => new ScenarioTables(shipped, { tables: { 'followup-ownres': [{ region: 'EMEA', owner_email: 'dana.new@vendor.example' }] } })).toThrow(
      'seed.tables.followup-ownres: there is no table "followup-ownres" in TABLES_DIR (did you mean "followup-owners"?): no recipe would read these rows',
    );
  });

  it('takes the table spelt right, and a table of its own far from every name', () => {
    const scenario = new ScenarioTables(shipped, { tables: { 'followup-owners': [{ region: 'APAC', owner_email: 'a@vendor.example' }], 'partner-tiers': [{ tier: 'gold' }] } });
    expect(scenario.rows('followup-owners')).toEqual([{ region: 'APAC', owner_email: 'a@vendor.example' }]);
    expect(scenario.rows('partner-tiers')).toEqual([{ tier: 'gold' }]);
  });
});
