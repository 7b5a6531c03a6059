import { describe, expect, it } from 'vitest';
import { decidedPage } from './approval-pages.ts';

describe('the page after a decision', () => {
  it('D10, D12: says the decision was recorded and will be applied, not what the request now is (it may have been canceled meanwhile)', async () => {
    for (const decision of ['approve', 'deny'] as const) {
      const page = String(await decidedPage('MDF-2302: Cloud Summit Munich (Northwind Cloud)', decision));
      expect(page).toContain(`Your decision to ${decision} was recorded and will be applied to the request.`);
      expect(page).toContain('MDF-2302: Cloud Summit Munich (Northwind Cloud)');
      expect(page).not.toMatch(/The request is (approved|denied)/);
    }
  });

  it('escapes the subject, which comes from partner-entered records', async () => {
    const page = String(await decidedPage('<script>alert(1)</script>', 'approve'));
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;script&gt;');
  });
});
