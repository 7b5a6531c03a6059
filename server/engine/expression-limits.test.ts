import { afterEach, describe, expect, it, vi } from 'vitest';
import { engineFixture, recipeWith } from '../../test/support/engine-fixture.ts';
import { EmailTemplates, TemplateError } from '../../connectors/email/email-templates.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { VirtualClock } from './clock.ts';
import { evaluateExpression, ExpressionError, type ExpressionEnv, type ExpressionScope } from './expression.ts';
import { DEFAULT_EXPRESSION_LIMITS, expressionLimits, setExpressionLimits } from './expression-limits.ts';

const env: ExpressionEnv = {
  clock: new VirtualClock('2026-03-06T16:00:00Z'),
  calendar: { timezone: 'Europe/London', weekend: [6, 7], holidays: [] },
};

function scopeWith(data: unknown): ExpressionScope {
  return {
    trigger: { event: 'prm.partner.digest_due', data },
    steps: {},
    vars: {},
    run: { id: 'run-1', recipe: 'partner-lead-digest', version: 1, started_at: '2026-03-06T16:00:00.000Z' },
  };
}

const leads = (count: number) => Array.from({ length: count }, (_, i) => ({ id: i, name: `Lead ${i}`, company: 'Acme', email: `lead${i}@acme.example`, stage: 'New' }));

/** The shape of the D23 digest's lead list: a line per lead, its fields joined. */
const DIGEST_LINES = '{% $map($trigger.data.leads, function($l) { { "id": $l.id, "line": $l.name & " (" & $l.company & ") " & $l.email & ": " & $l.stage } }) %}';

/** A recursion without end; a tail call, so JSONata's depth limit never stops it. */
const RUNAWAY = '{% ($loop := function($n) { $loop($n + 1) }; $loop(0)) %}';

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('the expression did not fail');
}

afterEach(() => {
  setExpressionLimits(DEFAULT_EXPRESSION_LIMITS);
  vi.restoreAllMocks();
});

describe('expressions are limited by the work they do, not by the time they take', () => {
  it('a runaway expression is stopped at the step limit, the error naming the limit, how to raise it and the expression', async () => {
    setExpressionLimits({ maxSteps: 20_000 });
    const error = await failure(evaluateExpression(RUNAWAY, scopeWith({}), env));
    expect(error).toBeInstanceOf(ExpressionError);
    expect(error.message).toContain('the expression was stopped after 20,000 evaluation steps, the limit of one evaluation (PARTNERFLOW_EXPRESSION_MAX_STEPS)');
    expect(error.message).toContain('raise PARTNERFLOW_EXPRESSION_MAX_STEPS');
    expect(error.message).toContain(`in ${RUNAWAY}`);
  });

  it('the limit counts each evaluation on its own: evaluations at once of one expression do not add up', async () => {
    setExpressionLimits({ maxSteps: 30_000 });
    // About 21 steps per lead: 1,000 leads take about 21,000, three at once about 63,000.
    const results = await Promise.all([1, 2, 3].map(() => evaluateExpression(DIGEST_LINES, scopeWith({ leads: leads(1_000) }), env)));
    for (const lines of results) expect(lines).toHaveLength(1_000);
  });

  it('a legitimate digest of a partner\'s 100 leads renders on a busy machine (D23): a clock that jumps a second at every read fails nothing', async () => {
    // What a starved process or a long garbage collection looks like to a wall-clock limit.
    let now = Date.now();
    vi.spyOn(Date, 'now').mockImplementation(() => (now += 1_000));
    const lines = (await evaluateExpression(DIGEST_LINES, scopeWith({ leads: leads(100) }), env)) as Array<{ line: string }>;
    expect(lines).toHaveLength(100);
    expect(lines[99]!.line).toBe('Lead 99 (Acme) lead99@acme.example: New');
  });

  it("the shipped D23 digest email of a partner's 100 leads renders on a busy machine; a runaway in a template names the template and the limit", async () => {
    let now = Date.now();
    vi.spyOn(Date, 'now').mockImplementation(() => (now += 1_000));
    const templates = new EmailTemplates('recipes/email-templates');
    const digestLeads = Array.from({ length: 100 }, (_, i) => ({ firstName: 'Lead', lastName: String(i), email: `lead${i}@acme.example`, company: 'Acme', phone: '+1 555 0100' }));
    const email = await templates.render('lead-share-digest', { leads: digestLeads, partner: { name: 'Northwind Cloud' }, day: '2026-03-06' });
    expect(email.subject).toBe('100 new leads shared with Northwind Cloud (2026-03-06)');
    expect(email.text).toContain('- Lead 99 <lead99@acme.example>, Acme, +1 555 0100');
    vi.restoreAllMocks();

    setExpressionLimits({ maxSteps: 200 });
    const error = await failure(templates.render('lead-share-digest', { leads: digestLeads, partner: { name: 'Northwind Cloud' }, day: '2026-03-06' }));
    expect(error).toBeInstanceOf(TemplateError);
    expect(error.message).toMatch(/^template lead-share-digest: \{\{ \$join\(leads/);
    expect(error.message).toContain('stopped after 200 evaluation steps, the limit of one evaluation (PARTNERFLOW_EXPRESSION_MAX_STEPS)');
  });

  it('mapping 100,000 items (the sequence limit) passes under the default step limit', async () => {
    expect(expressionLimits().maxSteps).toBe(5_000_000);
    const emails = (await evaluateExpression('{% $map($trigger.data.leads, function($l) { $lowercase($l.email) }) %}', scopeWith({ leads: leads(100_000) }), env)) as string[];
    expect(emails).toHaveLength(100_000);
    expect(emails[99_999]).toBe('lead99999@acme.example');
    // Its time depends on the machine; the verdict does not. The timeout only bounds a stuck test.
  }, 120_000);

  it('the depth and sequence limits still stop what they stopped', async () => {
    const deep = await failure(evaluateExpression('{% ($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000)) %}', scopeWith({}), env));
    expect(deep.message).toMatch(/^Stack overflow\. Check for non-terminating recursive function/);
    const long = await failure(evaluateExpression('{% [1..200000].($ * 2) %}', scopeWith({}), env));
    expect(long.message).toMatch(/^The maximum sequence length of 200000 was exceeded/);
  });

  it('a run whose step maps a runaway expression fails, naming the recipe, the step, the limit and the expression', async () => {
    setExpressionLimits({ maxSteps: 20_000 });
    const fx = await engineFixture([recipeWith([{ id: 'digest', type: 'action', action: 'fake.record', input: { key: 'digest', value: RUNAWAY } }], { name: 'partner-lead-digest' })]);
    try {
      const { runIds } = await fx.engine.deliver({ source: 'fake', deliveryId: 'd-1', event: 'thing.happened', data: { id: 'P-1' } });
      await fx.engine.runUntilIdle();
      const run = (await fx.store.getRun(runIds[0]!))!;
      expect(run).toMatchObject({ recipe: 'partner-lead-digest', status: 'failed', error: { stepKey: 'digest' } });
      expect(run.error!.message).toContain('stopped after 20,000 evaluation steps, the limit of one evaluation (PARTNERFLOW_EXPRESSION_MAX_STEPS)');
      expect(run.error!.message).toContain(RUNAWAY);
      expect(fx.system.effects).toEqual([]);
    } finally {
      await fx.close();
    }
  });

  it('the step limit is PARTNERFLOW_EXPRESSION_MAX_STEPS, 5,000,000 by default; a bad value stops the start naming it', () => {
    const load = (env: Record<string, string>) => loadConfig(env, { mock: true, connectors: [] });
    expect(load({}).expressionMaxSteps).toBe(5_000_000);
    expect(load({ PARTNERFLOW_EXPRESSION_MAX_STEPS: '20000000' }).expressionMaxSteps).toBe(20_000_000);
    let refused: unknown;
    try {
      load({ PARTNERFLOW_EXPRESSION_MAX_STEPS: 'lots' });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).message).toContain('PARTNERFLOW_EXPRESSION_MAX_STEPS');
    expect(() => setExpressionLimits({ maxSteps: 0 })).toThrow('PARTNERFLOW_EXPRESSION_MAX_STEPS: a whole number of evaluation steps, at least 1 (got 0)');
  });
});
