import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Recipe } from '../../schemas/recipe.ts';
import { tablesReadBy } from './tables-read.ts';

const shipped = (file: string) => Recipe.parse(JSON.parse(readFileSync(new URL(`../../recipes/${file}`, import.meta.url), 'utf8')));

describe('the tables a recipe reads (the console names them)', () => {
  it("names a timer trigger's offsets table beside its lookups' tables, each once, sorted", () => {
    expect(tablesReadBy(shipped('mdf-claims/mdf-claim-reminder.recipe.json'))).toEqual(['claim-reminders', 'mdf-programme']);
  });

  it('names the tables of lookups nested in if branches, foreach and on_error steps', () => {
    const recipe = Recipe.parse({
      name: 'nested',
      version: 1,
      description: 'lookups at every depth',
      trigger: { type: 'webhook', event: 'fake.thing.happened' },
      steps: [
        { id: 'big', type: 'if', condition: '{% true %}', then: [{ id: 'a', type: 'lookup', table: 'owners', where: { region: 'EMEA' } }] },
        { id: 'each', type: 'foreach', items: '{% [1] %}', steps: [{ id: 'b', type: 'lookup', table: 'budgets', where: '{% true %}', mode: 'all' }] },
        { id: 'c', type: 'lookup', table: 'owners', where: { region: 'APJ' } },
      ],
      on_error: { steps: [{ id: 'd', type: 'lookup', table: 'fallbacks', where: { kind: 'any' } }] },
    });
    expect(tablesReadBy(recipe)).toEqual(['budgets', 'fallbacks', 'owners']);
  });

  it("names the table an action reads (mdf.approver_for_request: approvers) and the tables a poll trigger's input reads as $tables", () => {
    expect(tablesReadBy(shipped('mdf-requests/mdf-request-approval.recipe.json'))).toContain('approvers');
    expect(tablesReadBy(shipped('leads/lead-activity-from-prm.recipe.json'))).toEqual(['untouched-lead-statuses']);
    const recipe = Recipe.parse({
      name: 'polled',
      version: 1,
      description: 'a poll reading tables, an action reading its default table',
      trigger: { type: 'poll', action: 'leads.list_worked_partner_leads', every: 'PT15M', cursor: '{% data.cursor %}', dedup_key: '{% data.id %}', input: { a: "{% $tables.'lead-share' %}", b: ['{% $tables.owners.email %}'], c: '{% $tables %}' } },
      steps: [{ id: 'cmm', type: 'action', action: 'mdf.approver_for_request', input: { mdf_number: 'MDF-1' } }, { id: 'computed', type: 'action', action: 'mdf.approver_for_request', input: { mdf_number: 'MDF-1', table: "{% 'appr' & 'overs' %}" } }],
    });
    expect(tablesReadBy(recipe)).toEqual(['approvers', 'lead-share', 'owners']);
  });

  it('names none for a recipe without a lookup or a table-driven timer', () => {
    expect(tablesReadBy(shipped('mdf-requests/mdf-request-salesforce-sync.recipe.json'))).toEqual([]);
  });
});
