import type { Delay } from '../../schemas/recipe.ts';
import { addBusinessDays, addIsoDuration, type BusinessCalendar } from './business-calendar.ts';

/** The time a recipe delay (`P2D` or `{ business_days: 2 }`) ends, counted from `fromMs`. */
export function delayEnd(fromMs: number, delay: Delay, calendar: BusinessCalendar): number {
  return typeof delay === 'string' ? addIsoDuration(fromMs, delay, calendar.timezone) : addBusinessDays(fromMs, delay.business_days, calendar);
}
