import { describe, expect, it } from 'vitest';
import { BusinessCalendar } from './business-calendar.ts';
import { VirtualClock } from './clock.ts';
import { evaluateExpression, type ExpressionScope } from './expression.ts';

const env = { clock: new VirtualClock(Date.parse('2026-03-02T09:00:00Z')), calendar: BusinessCalendar.parse({ timezone: 'Europe/Berlin' }) };
const scope: ExpressionScope = { trigger: {}, steps: {}, vars: {}, run: { id: 'r', recipe: 'x', version: 1, started_at: '2026-03-02T09:00:00Z' } };
const name = (expression: string) => evaluateExpression(`{% ${expression} %}`, scope, env);

describe('$countryName() (D13: the lead is told the country by name)', () => {
  it('gives the English name of an ISO 3166-1 alpha-2 code, in any letter case and with spaces around', async () => {
    expect(await name('$countryName("PL")')).toBe('Poland');
    expect(await name('$countryName(" cz ")')).toBe('Czechia');
    expect(await name('$countryName("IN")')).toBe('India');
  });

  it('gives nothing for what is not a known country code, so a template can fall back to the code', async () => {
    for (const code of ['"XX"', '"ZZ"', '"Poland"', '""', '42', 'null']) expect(await name(`$countryName(${code})`)).toBeUndefined();
    expect(await name('$countryName("Q1") ? $countryName("Q1") : "Q1"')).toBe('Q1');
  });
});
