import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTemplate } from '../../connectors/email/email-templates.ts';
import { compileExpression, MONEY_FUNCTIONS } from './expression.ts';
import { ExpressionStepLimitError, setExpressionLimits, type ExpressionLimits } from './expression-limits.ts';
import { plainEvaluatorOf, UNSURE } from './plain-expression.ts';

/**
 * The plain evaluator of templates (plain-expression.ts) answers JSONata's value or UNSURE, never
 * another value: each expression below is evaluated by both over data with every kind of field (absent,
 * null, empty, text, whole and fractional numbers, booleans, objects, lists, lists of lists).
 */
const EXPRESSIONS = [
  // The D23 digest's placeholders (recipes/email-templates/lead-share-digest.txt).
  ...placeholdersOf('lead-share-digest'),
  ...placeholdersOf('lead-recall-reminder'),
  "$join(leads.('- ' & email), '\\n')",
  "$join(leads.(company), ', ')",
  '$join(leads.(firstName & lastName))',
  'leads.(email)',
  '$count(leads.(phone))',
  'partner.name & partner.lead_count',
  "partner.lead_count = 1 ? 'one' : 'more'",
  "partner.name != 'Acme' ? 'other'",
  'partner',
  'leads',
  'partner.missing.deeper',
  '$count(partner)',
  '$join(partner.name)',
  "$join(day, '-')",
];

function placeholdersOf(template: string): string[] {
  const parsed = parseTemplate(readFileSync(`recipes/email-templates/${template}.txt`, 'utf8'), template);
  return [...parsed.subject, ...parsed.body].flatMap((part) => (typeof part === 'string' ? [] : [part.source.trim()]));
}

const VALUES: unknown[] = [undefined, null, '', 'Ann', 'a@b.example', 0, 7, -3, 1.5, 0.1 + 0.2, 1e21, true, false, {}, { a: 1 }, [], ['x'], ['x', 'y'], [['x']], [1, 2]];
const FIELDS = ['firstName', 'lastName', 'email', 'company', 'phone'];

/** A small deterministic generator: the same cases on every run. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

function lead(next: () => number, plainOnly: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const pool = plainOnly ? VALUES.slice(0, 8) : VALUES;
  for (const field of FIELDS) {
    const value = pool[Math.floor(next() * pool.length)];
    if (value !== undefined) out[field] = value;
  }
  return out;
}

async function jsonataAnswer(source: string, data: unknown): Promise<{ value?: unknown; error?: string }> {
  try {
    const value = await compileExpression(`{%${source}%}`).evaluate(data, MONEY_FUNCTIONS);
    return { value: value === undefined ? undefined : JSON.parse(JSON.stringify(value)) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

let previous: ExpressionLimits | undefined;
afterEach(() => {
  if (previous) setExpressionLimits(previous);
  previous = undefined;
});

describe('plain evaluation of template expressions (D23 digest: one line per lead)', () => {
  it('answers what JSONata answers, or UNSURE: never another value, never a value where JSONata fails', async () => {
    const next = random(42);
    let answered = 0;
    let compared = 0;
    for (let round = 0; round < 300; round++) {
      const plainOnly = round % 2 === 0;
      const count = [0, 1, 2, 5][round % 4]!;
      const leadsValue = round % 7 === 6 ? lead(next, plainOnly) : Array.from({ length: count }, () => lead(next, plainOnly));
      const data: Record<string, unknown> = {
        leads: leadsValue,
        day: '2026-12-02',
        partner: round % 5 === 4 ? VALUES[Math.floor(next() * VALUES.length)] : { name: VALUES[Math.floor(next() * 8)], lead_count: count, partner_id: 7 },
      };
      for (const source of EXPRESSIONS) {
        const plain = plainEvaluatorOf(compileExpression(`{%${source}%}`));
        if (!plain) continue;
        const ours = plain(data);
        compared++;
        if (ours === UNSURE) continue;
        answered++;
        const theirs = await jsonataAnswer(source, data);
        expect({ source, data, answer: ours }).toEqual({ source, data, answer: theirs.error ? `JSONata failed: ${theirs.error}` : theirs.value });
      }
    }
    // The digest's data is plain: most evaluations are answered here, not handed to JSONata.
    expect(answered).toBeGreaterThan(compared / 3);
  });

  it('every placeholder of the digest template is evaluated without JSONata for plain leads', () => {
    const leads = [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@acme.example', company: 'Acme', phone: null }];
    for (const source of placeholdersOf('lead-share-digest')) {
      const plain = plainEvaluatorOf(compileExpression(`{%${source}%}`));
      expect(plain, source).not.toBeNull();
      expect(plain!({ leads, day: '2026-12-02', partner: { name: 'Acme Partners', partner_id: 7 } }), source).not.toBe(UNSURE);
    }
  });

  it('hands a list long enough to near the step limit to JSONata, so a runaway is stopped the same way', async () => {
    const source = placeholdersOf('lead-share-digest').find((s) => s.startsWith('$join'))!;
    const plain = plainEvaluatorOf(compileExpression(`{%${source}%}`))!;
    for (const leadCount of [1, 10, 100, 1000]) {
      const data = { leads: Array.from({ length: leadCount }, (_, i) => ({ firstName: `A${i}`, lastName: null, email: `a${i}@x.example`, company: i % 2 ? 'C' : '', phone: '+1 555' })) };
      for (const maxSteps of [50, 500, 5_000, 50_000]) {
        previous ??= setExpressionLimits({ maxSteps });
        setExpressionLimits({ maxSteps });
        const theirs = await jsonataAnswer(source, data);
        const ours = plain(data);
        if (theirs.error) {
          expect(theirs.error).toBe(new ExpressionStepLimitError(maxSteps).message);
          expect(ours, `${leadCount} leads, ${maxSteps} steps`).toBe(UNSURE);
        } else if (ours !== UNSURE) expect(ours).toBe(theirs.value);
      }
    }
  });
});
