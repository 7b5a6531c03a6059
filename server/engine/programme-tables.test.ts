import { join, dirname } from 'node:path';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTables, loadTables, TableError } from './tables.ts';

const shipped = join(dirname(fileURLToPath(import.meta.url)), '../../recipes/tables');

/** A copy of the shipped tables with one file replaced, as ops would edit it. */
function tablesWith(file: string, rows: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'tables-'));
  for (const name of readdirSync(shipped)) writeFileSync(join(dir, name), readFileSync(join(shipped, name)));
  writeFileSync(join(dir, file), JSON.stringify({ description: 'edited', rows }));
  return dir;
}

describe('programme tables (D10, D13) are checked at start, each bad row named', () => {
  it('the shipped tables load: flexi share, budgets, target markets, levels and leads', () => {
    const tables = loadTables(shipped);
    expect(tables.rows('mdf-programme')![0]).toMatchObject({ flexi_share: 0.05 });
    expect(tables.rows('approval-levels')).toEqual([
      { level: 1, approver: 'cmm', business_days: 2, escalation_business_days: 10, applies_to: 'all' },
      { level: 2, approver: 'regional_marketing_lead', business_days: 2, escalation_business_days: 10, applies_to: 'flexi' },
    ]);
    expect(tables.rows('target-markets')!.length).toBeGreaterThan(0);
    expect(tables.rows('mdf-budgets')!.length).toBeGreaterThan(0);
  });

  it('D13: a budget row with a bad quarter stops the start, naming the file, the row and the field', () => {
    const dir = tablesWith('mdf-budgets.json', [
      { region: 'EMEA', quarter: '2026-Q2', budget_usd: 300000 },
      { region: 'EMEA', quarter: '2026-05', budget_usd: 300000 },
    ]);
    expect(() => loadTables(dir)).toThrow(TableError);
    expect(() => loadTables(dir)).toThrow(/mdf-budgets: .*rows\[1\]\.quarter.*a quarter such as 2026-Q2/);
  });

  it('D13: a target market that is not a two-letter country code in capitals is refused, naming the row and the field', () => {
    const dir = tablesWith('target-markets.json', [{ region: 'EMEA', country: 'Germany' }]);
    expect(() => loadTables(dir)).toThrow(/target-markets: .*rows\[0\]\.country.*ISO 3166-1 alpha-2/);
  });

  it('D13: a flexi share over 1 or missing is refused, naming the field', () => {
    const row = { programme: 'MDF', minimum_request_usd: 1000, maximum_vendor_share: 0.5, ops_email: 'ops@vendor.example', ops_name: 'Ops' };
    expect(() => createTables({ 'mdf-programme': [{ ...row, flexi_share: 5 }] }, undefined, 'recipes/tables')).toThrow(/mdf-programme.*rows\[0\]\.flexi_share/);
    expect(() => createTables({ 'mdf-programme': [row] }, undefined, 'recipes/tables')).toThrow(/mdf-programme.*rows\[0\]\.flexi_share/);
  });

  it('D10: an approval level with 0 business days or an unknown approver is refused, naming the row and the field', () => {
    const level = { level: 1, approver: 'cmm', business_days: 2, escalation_business_days: 10, applies_to: 'all' };
    expect(() => createTables({ 'approval-levels': [{ ...level, business_days: 0 }] }, undefined, 'recipes/tables')).toThrow(/approval-levels.*rows\[0\]\.business_days/);
    expect(() => createTables({ 'approval-levels': [level, { ...level, level: 2, approver: 'cfo' }] }, undefined, 'recipes/tables')).toThrow(/approval-levels.*rows\[1\]\.approver/);
  });

  it('D10, D13: two rows for one key are refused, naming both rows; level 1 must be the CMM for all requests', () => {
    expect(() =>
      createTables({ 'mdf-budgets': [{ region: 'EMEA', quarter: '2026-Q2', budget_usd: 1 }, { region: 'EMEA', quarter: '2026-Q2', budget_usd: 2 }] }, undefined, 'recipes/tables'),
    ).toThrow('recipes/tables/mdf-budgets: rows[1]: repeats rows[0] (region "EMEA", quarter "2026-Q2"); keep one row for it');
    const level = { level: 1, approver: 'regional_marketing_lead', business_days: 2, escalation_business_days: 10, applies_to: 'flexi' };
    expect(() => createTables({ 'approval-levels': [level] }, undefined, 'recipes/tables')).toThrow(/level 1 is the CMM's and applies to all requests/);
    expect(() => createTables({ 'approval-levels': [{ ...level, level: 2 }] }, undefined, 'recipes/tables')).toThrow(/no row has level 1/);
  });

  it('D10, D13: approval-levels without level 2 stops the start while a request can be flexi (target-markets is there), naming the file', () => {
    const dir = tablesWith('approval-levels.json', [{ level: 1, approver: 'cmm', business_days: 2, escalation_business_days: 10, applies_to: 'all' }]);
    expect(() => loadTables(dir)).toThrow(TableError);
    expect(() => loadTables(dir)).toThrow(`${dir}/approval-levels: no row has level 2 (approver "regional_marketing_lead", applies_to "flexi")`);
  });

  it('D10: a level the approval recipe does not read (level 3) is refused, naming the file, the row and the field', () => {
    const levels = JSON.parse(readFileSync(join(shipped, 'approval-levels.json'), 'utf8')).rows as unknown[];
    const dir = tablesWith('approval-levels.json', [...levels, { level: 3, approver: 'cmm', business_days: 2, escalation_business_days: 10, applies_to: 'flexi' }]);
    expect(() => loadTables(dir)).toThrow(`${dir}/approval-levels: rows[2].level: 3 is not a level the approval recipe reads`);
  });

  it('D10: level 2 decided by the CMM, or applying to all requests, is refused (the recipe asks the regional marketing lead for flexi requests), naming the row and the field', () => {
    const level1 = { level: 1, approver: 'cmm', business_days: 2, escalation_business_days: 10, applies_to: 'all' };
    const level2 = { level: 2, approver: 'regional_marketing_lead', business_days: 2, escalation_business_days: 10, applies_to: 'flexi' };
    expect(() => loadTables(tablesWith('approval-levels.json', [level1, { ...level2, approver: 'cmm' }]))).toThrow(
      /approval-levels: rows\[1\]\.approver: level 2 is the regional marketing lead's .* not approver "cmm"/,
    );
    expect(() => createTables({ 'approval-levels': [level1, { ...level2, applies_to: 'all' }] }, undefined, 'recipes/tables')).toThrow(
      /recipes\/tables\/approval-levels: rows\[1\]\.applies_to: .* not applies_to "all"/,
    );
  });

  it('D8, D4, D23, D20: a second row for a region in approvers, for a programme in mdf-programme, or in the one-row lead-share and lead-routing tables is refused, naming the table, the key and both rows', () => {
    const approvers = JSON.parse(readFileSync(join(shipped, 'approvers.json'), 'utf8')).rows as Array<Record<string, unknown>>;
    const newEmea = { region: 'EMEA', approver_email: 'new.cmm.emea@vendor.example', approver_name: 'New CMM', manager_email: 'd@vendor.example', manager_name: 'D' };
    const dir = tablesWith('approvers.json', [...approvers, newEmea]);
    expect(() => loadTables(dir)).toThrow(TableError);
    expect(() => loadTables(dir)).toThrow(`${dir}/approvers: rows[3]: repeats rows[1] (region "EMEA"); keep one row for it`);
    const programme = JSON.parse(readFileSync(join(shipped, 'mdf-programme.json'), 'utf8')).rows as Array<Record<string, unknown>>;
    expect(() => loadTables(tablesWith('mdf-programme.json', [...programme, { ...programme[0], minimum_request_usd: 2000 }]))).toThrow(
      /mdf-programme: rows\[1\]: repeats rows\[0\] \(programme "MDF"\); keep one row for it/,
    );
    for (const table of ['lead-share', 'lead-routing']) {
      const rows = JSON.parse(readFileSync(join(shipped, `${table}.json`), 'utf8')).rows as Array<Record<string, unknown>>;
      const edited = tablesWith(`${table}.json`, [...rows, { ...rows[0], ops_email: 'new.ops@vendor.example' }]);
      expect(() => loadTables(edited)).toThrow(`${edited}/${table}: rows[1]: repeats rows[0] (the table has one row); keep one row for it`);
    }
  });

  it('D23, D20: the one-row lead-share and lead-routing tables kept with their row deleted are refused at start, naming the table (every digest and recall would fail at its lookup)', () => {
    for (const table of ['lead-share', 'lead-routing']) {
      const emptied = tablesWith(`${table}.json`, []);
      expect(() => loadTables(emptied)).toThrow(`${emptied}/${table}: has no row; the recipes read its one row (every column its description names): add it`);
    }
  });

  it('D9: a leave row may name a regional marketing lead', () => {
    const leads = [{ region: 'EMEA', lead_email: 'Lead.EMEA@vendor.example', lead_name: 'L', manager_email: 'vp@vendor.example', manager_name: 'V' }];
    const approvers = [{ region: 'EMEA', approver_email: 'cmm.emea@vendor.example', approver_name: 'E', manager_email: 'd@vendor.example', manager_name: 'D' }];
    const tables = createTables({ approvers, 'regional-marketing-leads': leads, leave: [{ approver_email: 'lead.emea@vendor.example', from: '2026-03-02', to: '2026-03-06' }] });
    expect(tables.rows('leave')).toHaveLength(1);
  });
});
