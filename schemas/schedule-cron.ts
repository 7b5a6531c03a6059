import { Cron } from 'croner';

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

/** What is wrong with a schedule trigger's time zone (not an IANA name this runtime knows), or null. */
export function timeZoneProblem(zone: string): string | null {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return null;
  } catch {
    return `unknown time zone "${zone}" (an IANA name such as Europe/Berlin or UTC)`;
  }
}
