import { DateTime } from 'luxon';

/** A time as a person reads it, in the business calendar's zone, named: "Thursday 16 April 2026, 10:00 (Europe/Berlin)". */
export function timeForPeople(ms: number, zone: string): string {
  return `${DateTime.fromMillis(ms, { zone }).setLocale('en-GB').toFormat('cccc d LLLL yyyy, HH:mm')} (${zone})`;
}
