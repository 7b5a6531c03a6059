import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.ts';
import { setExpressionLimits } from './expression-limits.ts';
import { evaluateExpression, evaluateMapping, ExpressionError, referencedSteps, type ExpressionEnv, type ExpressionScope } from './expression.ts';

// Friday 2026-03-06, 16:00 in London.
const env: ExpressionEnv = {
  clock: new VirtualClock('2026-03-06T16:00:00Z'),
  calendar: { timezone: 'Europe/London', weekend: [6, 7], holidays: [{ date: '2026-03-09', name: 'A holiday' }] },
};

function scopeWith(data: unknown, steps: Record<string, unknown> = {}): ExpressionScope {
  return {
    trigger: { event: 'prm.mdf_request.submitted', data },
    steps,
    vars: { region: 'EMEA' },
    run: { id: 'run-1', recipe: 'mdf-request-intake', version: 1, started_at: '2026-03-06T16:00:00.000Z' },
  };
}

const request = {
  mdfNumber: 'MDF-1001',
  amountRequested: 10000,
  discount: -0,
  marketingReady: false,
  comment: null,
  activity: { region: 'EMEA', dates: { start: '2026-04-14' } },
  tags: ['event', 'emea'],
  lines: [{ amount: 1 }, { amount: 2 }],
  empty: [],
  single: ['only'],
};

describe('expressions', () => {
  describe('a plain path answers exactly what JSONata answers', () => {
    const paths = [
      '$trigger.data.mdfNumber',
      '$trigger.data.amountRequested',
      '$trigger.data.discount',
      '$trigger.data.marketingReady',
      '$trigger.data.comment',
      '$trigger.data.missing',
      '$trigger.data.missing.deeper',
      '$trigger.data.activity.dates.start',
      '$trigger.data.activity',
      '$trigger.data.tags',
      '$trigger.data.single',
      '$trigger.data.empty',
      '$trigger.data.lines.amount',
      '$trigger.data.mdfNumber.length',
      '$trigger.data.constructor',
      '$trigger.data.toString',
      '$trigger.data.__proto__',
      '$steps.account.owner',
      '$steps.skipped.owner',
      '$vars.region',
      '$unbound.field',
      'trigger.data.mdfNumber',
      'steps.account.owner',
    ];
    const scope = scopeWith(request, { account: { owner: 'ana@example.com' } });

    it.each(paths)('%s', async (path) => {
      const answer = await evaluateExpression(`{% ${path} %}`, scope, env);
      const jsonataAnswer = await jsonata(path).evaluate(scope, { ...scope });
      expect(answer).toEqual(jsonataAnswer === undefined ? undefined : JSON.parse(JSON.stringify(jsonataAnswer)));
    });

    it('reads a path from the input it is given, as a trigger filter does', async () => {
      const scope = scopeWith({ status: 'Approved' });
      expect(await evaluateExpression('{% data.status %}', scope, env, scope.trigger)).toBe('Approved');
    });
  });

  it('evaluates operators, conditions and string functions', async () => {
    const scope = scopeWith(request);
    expect(await evaluateExpression('{% $trigger.data.amountRequested >= 5000 %}', scope, env)).toBe(true);
    expect(await evaluateExpression('{% $trigger.data.marketingReady ? "ready" : "not ready" %}', scope, env)).toBe('not ready');
    expect(await evaluateExpression('{% $uppercase($vars.region) & "-" & $trigger.data.mdfNumber %}', scope, env)).toBe('EMEA-MDF-1001');
    expect(await evaluateExpression('{% $sum($trigger.data.lines.amount) %}', scope, env)).toBe(3);
  });

  it('answers plain JSON: sequences become arrays and functions nothing', async () => {
    const scope = scopeWith(request);
    expect(await evaluateExpression('{% $trigger.data.lines[amount > 1] %}', scope, env)).toEqual({ amount: 2 });
    expect(await evaluateExpression('{% $trigger.data.lines.amount %}', scope, env)).toEqual([1, 2]);
    expect(await evaluateExpression('{% $uppercase %}', scope, env)).toBeUndefined();
    expect(await evaluateExpression('{% function($x) { $x } %}', scope, env)).toBeUndefined();
  });

  describe('functions of the runtime', () => {
    const scope = scopeWith(request);

    it('$now() and $today() read the virtual clock, $today() in the calendar time zone', async () => {
      expect(await evaluateExpression('{% $now() %}', scope, env)).toBe('2026-03-06T16:00:00.000Z');
      const lateEvening = { ...env, clock: new VirtualClock('2026-07-06T23:30:00Z') };
      // 00:30 the next day in London (BST).
      expect(await evaluateExpression('{% $today() %}', scope, lateEvening)).toBe('2026-07-07');
    });

    it('$localDate() gives a time\'s date in the calendar time zone, not in UTC (D9 leave dates)', async () => {
      // 23:30 UTC on 6 July is 00:30 on 7 July in London (BST).
      expect(await evaluateExpression('{% $localDate("2026-07-06T23:30:00Z") %}', scope, env)).toBe('2026-07-07');
      expect(await evaluateExpression('{% $localDate("2026-01-06T23:30:00Z") %}', scope, env)).toBe('2026-01-06');
    });

    it('$isDate() says whether a timer reads the value as a day: an impossible or garbled date is none (D14 end dates)', async () => {
      for (const value of ['"2026-03-06"', '" 2026-03-06 "', '"2026-03-06T23:30:00Z"']) {
        expect(await evaluateExpression(`{% $isDate(${value}) %}`, scope, env), value).toBe(true);
      }
      for (const value of ['"2026-02-30"', '"2026-13-01"', '"2026-03-06x"', '"06.03.2026"', '""', '20260306', 'null', 'nothing']) {
        expect(await evaluateExpression(`{% $isDate(${value}) %}`, scope, env), value).toBe(false);
      }
    });

    it('$workingDays() lists the working days of a range of dates or times on the calendar (D9 leave on a window)', async () => {
      // Friday 6 March to Tuesday 10 March 2026; Monday 9 March is a holiday of this calendar.
      expect(await evaluateExpression('{% $workingDays("2026-03-06", "2026-03-10") %}', scope, env)).toEqual(['2026-03-06', '2026-03-10']);
      expect(await evaluateExpression('{% $workingDays("2026-03-07", "2026-03-08") %}', scope, env)).toEqual([]);
      expect(await evaluateExpression('{% $workingDays("2026-03-10", "2026-03-06") %}', scope, env)).toEqual([]);
      // A time counts as the day it falls on in the calendar's zone: 23:30 UTC on Thursday 5 March is Thursday in London.
      expect(await evaluateExpression('{% $workingDays("2026-03-05T23:30:00Z", "2026-03-06") %}', scope, env)).toEqual(['2026-03-05', '2026-03-06']);
    });

    it('$workingDays() and $localDate() read a date as that day in a zone behind UTC, not the evening before', async () => {
      const newYork = { ...env, calendar: { ...env.calendar, timezone: 'America/New_York' } };
      expect(await evaluateExpression('{% $workingDays("2026-03-06", "2026-03-06") %}', scope, newYork)).toEqual(['2026-03-06']);
      expect(await evaluateExpression('{% $localDate("2026-03-06") %}', scope, newYork)).toBe('2026-03-06');
      // A time is the day it falls on there: 02:00 UTC on Friday is Thursday evening in New York.
      expect(await evaluateExpression('{% $localDate("2026-03-06T02:00:00Z") %}', scope, newYork)).toBe('2026-03-05');
    });

    it('$addBusinessDays() skips the weekend and the holidays of the calendar (D10)', async () => {
      // Friday + 2 business days: Monday 9 March is a holiday, so Wednesday 11 March.
      expect(await evaluateExpression('{% $addBusinessDays($now(), 2) %}', scope, env)).toBe('2026-03-11T16:00:00.000Z');
    });

    it('$addDuration() adds an ISO 8601 duration and refuses a malformed one', async () => {
      expect(await evaluateExpression('{% $addDuration("2026-03-01T00:00:00Z", "P2D") %}', scope, env)).toBe('2026-03-03T00:00:00.000Z');
      await expect(evaluateExpression('{% $addDuration("2026-03-01T00:00:00Z", "two days") %}', scope, env)).rejects.toThrow(
        'not an ISO 8601 duration: two days',
      );
    });

    it('$usd() never rounds away a fraction of a cent (an email shows the amount the PRM holds and the checks compare), but binary floating point noise is no fraction', async () => {
      expect(await evaluateExpression('{% $usd(999.999) %}', scope, env)).toBe('USD 999.999');
      expect(await evaluateExpression('{% $usd(1234567.891) %}', scope, env)).toBe('USD 1,234,567.891');
      expect(await evaluateExpression('{% $usd(1000.004) %}', scope, env)).toBe('USD 1,000.004');
      expect(await evaluateExpression('{% $usd(-0.005) %}', scope, env)).toBe('USD -0.005');
      expect(await evaluateExpression('{% $usd(0.0000001) %}', scope, env)).toBe('USD 0.0000001');
      // 0.1 + 0.2 is 0.30000000000000004 and 1000.1 + 0.2 is 1000.3000000000001 in floating point: cents.
      expect(await evaluateExpression('{% $usd(0.1 + 0.2) %}', scope, env)).toBe('USD 0.30');
      expect(await evaluateExpression('{% $usd(1000.1 + 0.2) %}', scope, env)).toBe('USD 1,000.30');
    });

    it('$formatUsd() writes an amount as the emails show it', async () => {
      expect(await evaluateExpression('{% $formatUsd($trigger.data.amountRequested) %}', scope, env)).toBe('USD 10,000');
    });

    it('$usd() writes money with its cents (USD 1,000.50, not 1,000.5), whole dollars without, and nothing for a blank amount', async () => {
      expect(await evaluateExpression('{% $usd(1000.5) %}', scope, env)).toBe('USD 1,000.50');
      expect(await evaluateExpression('{% $usd(8000) %}', scope, env)).toBe('USD 8,000');
      expect(await evaluateExpression('{% $usd(0.07) %}', scope, env)).toBe('USD 0.07');
      expect(await evaluateExpression('{% $usd(1234567.89) %}', scope, env)).toBe('USD 1,234,567.89');
      expect(await evaluateExpression('{% $formatUsd(1000.5) %}', scope, env)).toBe('USD 1,000.50');
      expect(await evaluateExpression('{% $usd(null) %}', scope, env)).toBeUndefined();
      expect(await evaluateExpression('{% $usd($trigger.data.nothing) %}', scope, env)).toBeUndefined();
    });
  });

  describe('errors', () => {
    it('an expression that fails names itself', async () => {
      const error = await evaluateExpression('{% $trigger.data.mdfNumber + 1 %}', scopeWith(request), env).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExpressionError);
      expect((error as ExpressionError).message).toMatch(/in \{% \$trigger\.data\.mdfNumber \+ 1 %\}$/);
    });

    it('a runaway expression is stopped at the step limit (expression-limits.ts), not by a time box', async () => {
      const runaway = '{% ($loop := function($n) { $loop($n + 1) }; $loop(0)) %}';
      // Lowered so that the test does not spend the default 5,000,000 steps.
      const previous = setExpressionLimits({ maxSteps: 50_000 });
      try {
        await expect(evaluateExpression(runaway, scopeWith(request), env)).rejects.toThrow(/stopped after 50,000 evaluation steps.*PARTNERFLOW_EXPRESSION_MAX_STEPS/);
      } finally {
        setExpressionLimits(previous);
      }
    });

    it('an evaluation is not cut off by a stall of the process (a collection, a busy host): a D23 digest listing 100 leads fails no run under load', async () => {
      const leads = Array.from({ length: 100 }, (_, n) => ({ email: `lead-${n}@client.example` }));
      // The clock JSONata's time box reads jumps by 1 s after its first reading, as when the process stalls.
      const realNow = Date.now;
      let readings = 0;
      Date.now = () => realNow() + (readings++ > 0 ? 1000 : 0);
      try {
        const lines = await evaluateExpression("{% $join($trigger.data.leads.('- ' & email), '\\n') %}", scopeWith({ leads }), env);
        expect(String(lines).split('\n')).toHaveLength(100);
      } finally {
        Date.now = realNow;
      }
    });

    it('a string not written {% … %} is not an expression', async () => {
      await expect(evaluateExpression('$trigger.data.mdfNumber', scopeWith(request), env)).rejects.toThrow('an expression is written {% … %}');
    });
  });

  it('a mapping evaluates its expressions, keeps literals and drops keys whose expression yields nothing', async () => {
    const mapping = { number: '{% $trigger.data.mdfNumber %}', region: 'EMEA', note: '{% $trigger.data.missing %}', to: ['{% $steps.account.owner %}', 'ops@example.com'] };
    expect(await evaluateMapping(mapping, scopeWith(request, { account: { owner: 'ana@example.com' } }), env)).toEqual({
      number: 'MDF-1001',
      region: 'EMEA',
      to: ['ana@example.com', 'ops@example.com'],
    });
  });

  describe('the steps an expression reads', () => {
    it('finds $steps.<id> and steps.<id> anywhere in the expression, once each', () => {
      expect(referencedSteps('{% $steps.account.id & steps.owner.name & $count($steps.account.lines) %}')).toEqual([
        { id: 'account', bracketed: false },
        { id: 'owner', bracketed: false },
      ]);
      expect(referencedSteps('{% $steps.`account`.id %}')).toEqual([{ id: 'account', bracketed: false }]);
    });

    it('finds steps.<id> without $ only where the input is the run scope, and $steps.<id> everywhere', () => {
      const source = '{% steps.region = $steps.account.region and $$.steps.owner %}';
      expect(referencedSteps(source).map((r) => r.id)).toEqual(['region', 'account', 'owner']);
      // A lookup row or an event as input: `steps` is one of its fields.
      expect(referencedSteps(source, { inputIsScope: false }).map((r) => r.id)).toEqual(['account']);
    });

    it('finds steps.<id> without $ only where the context is still the input, as JSONata evaluates it', async () => {
      const sources = [
        '{% $trigger.data.lines[steps.a = 1] %}',
        '{% $trigger.data.lines.(steps.a) %}',
        '{% $trigger.data.lines{ "k": steps.a } %}',
        '{% $trigger.data.lines[$.steps.a = 1] %}',
      ];
      for (const source of sources) expect(referencedSteps(source), source).toEqual([]);
      const atInput = ['{% { "k": steps.a } %}', '{% $map([1], function($v) { steps.a }) %}', '{% $.steps.a %}', '{% $trigger.data.lines.($$.steps.a) %}'];
      for (const source of atInput) expect(referencedSteps(source), source).toEqual([{ id: 'a', bracketed: false }]);
      // What the check relies on: in a filter `steps` is a field of each line; a lambda's body reads the input.
      const scope = scopeWith({ lines: [{ steps: { a: 'line' } }] }, { a: 'step' });
      expect(await evaluateExpression('{% $trigger.data.lines.(steps.a) %}', scope, env)).toBe('line');
      expect(await evaluateExpression('{% $map([1], function($v) { steps.a }) %}', scope, env)).toBe('step');
    });

    it("reports $steps['id'] as bracketed, by the name in brackets, because JSONata reads the field after it", async () => {
      expect(referencedSteps("{% $steps['zzz'].id %}")).toEqual([{ id: 'zzz', bracketed: true }]);
      expect(referencedSteps("{% steps['zzz'] %}")).toEqual([{ id: 'zzz', bracketed: true }]);
      // Why it is a mistake: the filter keeps all of steps, so `.id` reads the step named "id".
      expect(await evaluateExpression("{% $steps['zzz'].id %}", scopeWith(request, { zzz: { id: 'z' }, id: 'the step id' }), env)).toBe('the step id');
    });
  });
});
