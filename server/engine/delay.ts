import type { Delay, StepDelay } from '../../schemas/recipe.ts';
import { addBusinessDays, addIsoDuration, type BusinessCalendar } from './business-calendar.ts';
import { StepInputError } from './errors.ts';

/** The time a recipe delay (`P2D` or `{ business_days: 2 }`) ends, counted from `fromMs`. */
export function delayEnd(fromMs: number, delay: Delay, calendar: BusinessCalendar): number {
  return typeof delay === 'string' ? addIsoDuration(fromMs, delay, calendar.timezone) : addBusinessDays(fromMs, delay.business_days, calendar);
}

/**
 * A step's delay with its business days evaluated when written as an expression (D10: a level's
 * business days from the approval-levels table). Anything but a whole number of days, at least 1, fails
 * the step with a message naming the step, the field and the value.
 */
export async function resolveStepDelay(delay: StepDelay, evaluate: (source: string) => Promise<unknown>, where: string): Promise<Delay> {
  if (typeof delay === 'string' || typeof delay.business_days === 'number') return delay as Delay;
  const value = await evaluate(delay.business_days);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new StepInputError(`${where}: business_days must be a whole number of days, at least 1; ${delay.business_days} gave ${value === undefined ? 'nothing' : JSON.stringify(value)}`);
  }
  return { business_days: value };
}
