import { describe, expect, it } from 'vitest';
import { Recipe } from '../../schemas/recipe.ts';
import { checkTables } from './check-tables.ts';

describe('checkTables: a table read by an action or by a poll trigger must exist, as a lookup\'s must', () => {
  const recipe = Recipe.parse({
    name: 'reads-tables',
    version: 1,
    description: 'an action and a poll reading tables',
    trigger: { type: 'poll', action: 'leads.list_worked_partner_leads', every: 'PT15M', cursor: '{% data.cursor %}', dedup_key: '{% data.id %}', input: { statuses: "{% $tables.'untouched-lead-statuse'.status %}" } },
    steps: [
      // D8: mdf.approver_for_request reads the approvers table (its default) through ctx.tables.
      { id: 'cmm', type: 'action', action: 'mdf.approver_for_request', input: { mdf_number: 'MDF-1' } },
      { id: 'other', type: 'action', action: 'mdf.approver_for_request', input: { mdf_number: 'MDF-1', table: 'aprovers' } },
    ],
  });

  it('names each unknown one where the recipe names it, with the closest table', () => {
    expect(checkTables(recipe, ['approvers', 'untouched-lead-statuses'])).toEqual([
      { path: ['steps', 1, 'input', 'table'], message: 'unknown table "aprovers" (did you mean "approvers"?)' },
      { path: ['trigger', 'input', 'statuses'], message: 'unknown table "untouched-lead-statuse" (did you mean "untouched-lead-statuses"?)' },
    ]);
  });

  it('finds nothing when every table is there, and names the default table when it is not', () => {
    expect(checkTables(recipe, ['approvers', 'aprovers', 'untouched-lead-statuse'])).toEqual([]);
    expect(checkTables(recipe, ['aprovers', 'untouched-lead-statuse']).map((f) => f.message)).toEqual(['unknown table "approvers" (did you mean "aprovers"?)']);
  });
});
