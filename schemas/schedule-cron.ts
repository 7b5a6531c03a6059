import { Cron } from 'croner';
import { closestName } from '../server/recipes/closest-name.ts';

/**
 * What is wrong with a schedule trigger's cron, or null. A schedule is a five-field cron (minute hour
 * day-of-month month day-of-week): croner also reads six or seven fields, the first as seconds, so
 * `* * * * * *` would start a run every second. Checked when a recipe is read (validate, test, the
 * start), because the runtime computes fire times in its claim loop and cannot refuse a recipe there.
 */
export function cronProblem(cron: string): string | null {
  const fields = cron.trim().split(/\s+/).length;
  if (fields !== 5) {
    return `"${cron}" has ${fields} field${fields === 1 ? '' : 's'}; a schedule is a five-field cron (minute hour day-of-month month day-of-week), e.g. "0 8 * * 1-5"`;
  }
  let parsed: Cron;
  try {
    parsed = new Cron(cron, { timezone: 'UTC', paused: true });
  } catch (error) {
    return `"${cron}" is not a valid cron: ${(error as Error).message.replace(/^CronPattern: /, '')}`;
  }
  return parsed.nextRun() ? null : `"${cron}" never fires`;
}

/**
 * What is wrong with a time zone (a schedule trigger's, the business calendar's): not an IANA name this
 * runtime knows, with the name it is a typo of (`Europe/Berln`, `America/Chcago`) or the zone of a
 * city written alone (`Berlin`, `New York`), or null.
 */
export function timeZoneProblem(zone: string): string | null {
  if (isTimeZone(zone)) return null;
  const meant = closestTimeZone(zone);
  return `unknown time zone "${zone}" (${meant ? `did you mean "${meant}"?` : 'an IANA name such as Europe/Berlin or UTC'})`;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The IANA zone `zone` is a slip of, or the zone of the city it names alone, or undefined. */
function closestTimeZone(zone: string): string | undefined {
  const zones = [...Intl.supportedValuesOf('timeZone'), 'UTC'];
  const typo = closestName(zone, zones);
  if (typo) return typo;
  // A city without its region ("Berlin", "new york"): the zone's last part, as IANA writes it.
  const city = zone.trim().replace(/\s+/g, '_').toLowerCase();
  if (city === '' || city.includes('/')) return undefined;
  const byCity = new Map(zones.filter((z) => z.includes('/')).map((z) => [z.slice(z.lastIndexOf('/') + 1).toLowerCase(), z]));
  const exact = byCity.get(city);
  if (exact) return exact;
  const near = closestName(city, byCity.keys());
  return near ? byCity.get(near) : undefined;
}
