import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { webFormSubmitted } from '../../connectors/leads/web-form-events.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { evaluateExpression, type ExpressionEnv } from '../../server/engine/expression.ts';
import { checkLeadImport } from '../../server/leads/lead-import-file.ts';
import { phoneProblem } from './lead-fields.ts';

/** A web form as the site posts it, each test changing the fields it is about. */
const form = { email: 'mia@initech.example', phone: '+49 89 555 0101', utm_partnerid: '0015e00000NWCLD001', form: 'Assessment', submitted_at: '2026-03-02T09:00:00Z' };
const submitted = (set: Record<string, unknown>) => webFormSubmitted.data.parse({ ...form, ...set }) as Record<string, unknown>;

/** The one row of a booth-scan file, each test changing the fields it is about. */
const HEADER = 'email,first_name,last_name,company,phone,opted_in,crm_partner_id,event,visited_on';
const imported = (email: string, phone = '+49 89 555 0101') => {
  const check = checkLeadImport(new TextEncoder().encode(`${HEADER}\n"${email}",Mia,Wong,Initech,"${phone}",yes,0015e00000NWCLD001,Expo,2026-03-02\n`), 1_000_000);
  return { email: check.accepted[0]?.email, refused: check.refused[0]?.reason };
};

describe('a web form lead is cleaned as a list import row (D20, D22): one person, one line', () => {
  it('removes invisible characters from the email and compares it in NFC and lower case, so the form and the file name the same person', () => {
    const variants = ['Mia@Initech.example\u200b', '\u200cmia@initech.example', 'mia\u200d@initech.example', '\ufeffmia@initech.example', 'mia@initech.\u2060example', 'mia@initech.example\u00a0', 'mi\u00ada@initech.example', ' mia@initech.example\r\n'];
    for (const email of variants) {
      expect(submitted({ email }).email).toBe('mia@initech.example');
      expect(imported(email).email).toBe('mia@initech.example');
      expect(webFormSubmitted.correlate!(submitted({ email }) as never)).toBe('mia@initech.example');
    }
    const decomposed = 'ju\u0308rgen@mu\u0308ller.example';
    expect(submitted({ email: decomposed }).email).toBe('j\u00fcrgen@m\u00fcller.example');
    expect(imported(decomposed).email).toBe('j\u00fcrgen@m\u00fcller.example');
  });

  it('puts names, company and form on one line without zero-width spaces, keeps joiners that spell words, reads a blank as none', () => {
    const lead = submitted({ first_name: 'Mia\u00a0', last_name: '\u200bWong', company: 'Initech\r\n  Zweigstelle M\u00fcnchen\n', form: 'Partner\nAssessment' });
    expect(lead).toMatchObject({ first_name: 'Mia', last_name: 'Wong', company: 'Initech Zweigstelle M\u00fcnchen', form: 'Partner Assessment' });
    expect(submitted({ company: '\u0645\u200c\u0627' }).company).toBe('\u0645\u200c\u0627');
    expect(submitted({ company: ' \u200b ', first_name: '' })).toMatchObject({ company: null, first_name: null });
    expect(submitted({ utm_partnerid: '\u200b0015e00000NWCLD001 ' }).utm_partnerid).toBe('0015e00000NWCLD001');
  });

  it('never refuses a submission over the form of its phone (a refused webhook is lost): it is kept, cleaned, for the routing to judge', () => {
    for (const phone of ['4.98956E+11', 'n/a', 'mia@initech.example', '-']) expect(submitted({ phone }).phone).toBe(phone);
    expect(submitted({ phone: '\u200b+49 89\u00a0555 0101' }).phone).toBe('+49 89 555 0101');
    expect(submitted({ phone: '  ' }).phone).toBeNull();
    // D22: a form tool that types the phone as a number posts a JSON number: read as its digits, not a 400.
    expect(submitted({ phone: 498955501 }).phone).toBe('498955501');
    expect(submitted({ phone: 4.98956e21 }).phone).toBe('4.98956e+21');
  });
});

describe("a phone that is no number to call (D22): the list import's refusal and the routing's test agree", () => {
  const recipe = JSON.parse(readFileSync(new URL('../../recipes/leads/lead-routing.recipe.json', import.meta.url), 'utf8')) as { steps: Array<{ id: string; values?: Record<string, string> }> };
  const phoneExpression = recipe.steps.find((s) => s.id === 'moment')!.values!.phone!;
  const env: ExpressionEnv = { clock: new VirtualClock('2026-03-02T09:00:00Z'), calendar: { timezone: 'UTC', weekend: [6, 7], holidays: [] } };
  /** The phone lead-routing shares: the form's (or row's), else Marketo's, else none. */
  const routed = (given: string | null, stored: string | null) =>
    evaluateExpression(phoneExpression, { trigger: { data: { phone: given } }, steps: { marketo_lead: { phone: stored } }, vars: {}, run: { id: 'r', recipe: 'lead-routing', version: 1, started_at: '2026-03-02T09:00:00Z' } }, env);

  it.each([
    ['4.98956E+11', 'scientific-notation'],
    ['4.98956e11', 'scientific-notation'],
    ['4,98956E+11', 'scientific-notation'],
    ['mia@initech.example', 'email-address'],
    ['n/a', 'no-digits'],
    ['-', 'no-digits'],
    ['', 'missing'],
    ['+49 89 555 0101', null],
    ['(555) 010-0101 x12', null],
    ['4989555501010', null],
  ])('%j: %s', async (phone, problem) => {
    expect(phoneProblem(phone)).toBe(problem);
    // A row without a phone is imported: the routing knows the partner type and applies the phone rule (D22).
    expect(imported('mia@initech.example', phone).refused === undefined).toBe(problem === null || problem === 'missing');
    // From a web form: a usable phone is shared; any other counts as none, and Marketo's phone is shared instead.
    expect(await routed(phone, '+49 89 555 0177')).toBe(problem === null ? phone : '+49 89 555 0177');
    // In Marketo (the form wrote the same value there): none either.
    expect(await routed(null, phone)).toBe(problem === null ? phone : null);
  });
});
