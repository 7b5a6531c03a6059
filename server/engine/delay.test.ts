import { describe, expect, it } from 'vitest';
import { resolveStepDelay } from './delay.ts';
import { StepDelay } from '../../schemas/recipe.ts';

describe('a step delay whose business days come from an expression (D10: each level\'s days from the approval-levels table)', () => {
  const evaluateTo = (value: unknown) => async () => value;

  it('takes a number, an ISO duration, or an expression that gives a whole number of days', async () => {
    expect(await resolveStepDelay({ business_days: 2 }, evaluateTo(9), 'x')).toEqual({ business_days: 2 });
    expect(await resolveStepDelay('P2D', evaluateTo(9), 'x')).toBe('P2D');
    expect(await resolveStepDelay({ business_days: '{% $vars.level.business_days %}' }, evaluateTo(3), 'x')).toEqual({ business_days: 3 });
  });

  it('fails the step naming it, the field, the expression and the value when the expression gives no whole number of days of at least 1', async () => {
    const delay = { business_days: '{% $vars.level.business_days %}' };
    await expect(resolveStepDelay(delay, evaluateTo(undefined), 'wait_for decision: timeout')).rejects.toThrow(
      'wait_for decision: timeout: business_days must be a whole number of days, at least 1; {% $vars.level.business_days %} gave nothing',
    );
    await expect(resolveStepDelay(delay, evaluateTo('2'), 'w')).rejects.toThrow('gave "2"');
    await expect(resolveStepDelay(delay, evaluateTo(1.5), 'w')).rejects.toThrow('gave 1.5');
    await expect(resolveStepDelay(delay, evaluateTo(0), 'w')).rejects.toThrow('gave 0');
  });

  it('the recipe schema takes an expression there, and refuses other strings', () => {
    expect(StepDelay.safeParse({ business_days: '{% $x %}' }).success).toBe(true);
    expect(StepDelay.safeParse({ business_days: 'two' }).success).toBe(false);
    expect(StepDelay.safeParse({ business_days: 0 }).success).toBe(false);
  });
});
