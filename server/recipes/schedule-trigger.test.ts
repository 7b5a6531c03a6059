import { describe, expect, it } from 'vitest';
import type { RecipeInput } from '../../schemas/recipe.ts';
import { fakeCatalog } from './fixtures/fake-connectors.ts';
import { formatProblem } from './recipe-problem.ts';
import { validateRecipe } from './validate-recipe.ts';

/**
 * A schedule the runtime cannot compute (review3, finding 1) is refused where every recipe is checked
 * (validate, test, the start), naming the file and the field: it used to pass, and the runtime's claim
 * loop then threw on it for ever, running no run of any recipe.
 */
const FILE = 'recipes/weekday-digest.recipe.json';

function problems(trigger: Record<string, unknown>): string[] {
  const recipe = { name: 'weekday-digest', version: 1, description: 'a digest', trigger: { type: 'schedule', ...trigger }, steps: [{ id: 'done', type: 'stop' }] } as unknown as RecipeInput;
  return validateRecipe(recipe, FILE, { catalog: fakeCatalog(), tables: [] }).problems.map(formatProblem);
}

describe('schedule triggers', () => {
  it('accepts a five-field cron in an IANA time zone, and UTC by default', () => {
    expect(problems({ cron: '0 8 * * 1-5', timezone: 'Europe/Berlin' })).toEqual([]);
    expect(problems({ cron: '30 7 * * *' })).toEqual([]);
  });

  it('refuses an unknown time zone, naming trigger.timezone and the zone it is a typo of', () => {
    expect(problems({ cron: '0 7 * * 1-5', timezone: 'Europe/Berln' })).toEqual([
      `${FILE}: trigger.timezone: unknown time zone "Europe/Berln" (did you mean "Europe/Berlin"?)`,
    ]);
    // review10: a zone far from the example named the example, never the zone meant.
    expect(problems({ cron: '0 7 * * 1-5', timezone: 'America/Chcago' })).toEqual([
      `${FILE}: trigger.timezone: unknown time zone "America/Chcago" (did you mean "America/Chicago"?)`,
    ]);
  });

  it('names the zone of a city written without its region, and an example when nothing is close', () => {
    expect(problems({ cron: '0 7 * * 1-5', timezone: 'Berlin' })).toEqual([`${FILE}: trigger.timezone: unknown time zone "Berlin" (did you mean "Europe/Berlin"?)`]);
    expect(problems({ cron: '0 7 * * 1-5', timezone: 'New York' })).toEqual([`${FILE}: trigger.timezone: unknown time zone "New York" (did you mean "America/New_York"?)`]);
    expect(problems({ cron: '0 7 * * 1-5', timezone: 'Mars/Olympus' })).toEqual([
      `${FILE}: trigger.timezone: unknown time zone "Mars/Olympus" (an IANA name such as Europe/Berlin or UTC)`,
    ]);
  });

  it('refuses a cron field out of range, naming trigger.cron and what is wrong', () => {
    expect(problems({ cron: '0 61 * * *', timezone: 'UTC' })).toEqual([
      `${FILE}: trigger.cron: "0 61 * * *" is not a valid cron: Invalid value for hour: 61`,
    ]);
  });

  it('refuses a six-field cron, whose first field croner would read as seconds (fires every second)', () => {
    expect(problems({ cron: '* * * * * *', timezone: 'UTC' })).toEqual([
      `${FILE}: trigger.cron: "* * * * * *" has 6 fields; a schedule is a five-field cron (minute hour day-of-month month day-of-week), e.g. "0 8 * * 1-5"`,
    ]);
  });

  it('refuses a cron that never fires', () => {
    expect(problems({ cron: '0 8 31 2 *', timezone: 'UTC' })).toEqual([`${FILE}: trigger.cron: "0 8 31 2 *" never fires`]);
  });
});
