import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.ts';
import { Recipe } from '../../schemas/recipe.ts';
import { ConnectorCatalog } from '../engine/connector-registry.ts';
import { runEvent } from './run-event.ts';

/**
 * `partnerflow run <timer recipe> --event <file>` (review10): the README says a timer recipe takes its
 * data as given, but not which data; the request's own event was refused without saying, and the
 * request's fields alone ran and failed at the first step reading `$trigger.data.key`. D14's claim
 * reminder is the shipped timer recipe.
 */
const root = resolve(import.meta.dirname, '../..');
const reminder = Recipe.parse(JSON.parse(readFileSync(join(root, 'recipes/mdf-claims/mdf-claim-reminder.recipe.json'), 'utf8')));
const catalog = new ConnectorCatalog(CONNECTORS);
const SHAPE = '{"key": "<the record\'s key, e.g. MDF-1001>", "date": "<the date followed, e.g. 2026-05-13>", "offset": <the offset due, e.g. 14>, "record": {<the record as its event carried it>}}';

describe('run --event of a timer recipe (D14)', () => {
  it('refuses a webhook body, saying what a timer run is given', () => {
    expect(runEvent(reminder, { event: 'mdf_request.status_changed', data: { mdfNumber: 'MDF-1001' } }, 'approved.json', catalog)).toEqual({
      problem: `approved.json is a webhook event (mdf_request.status_changed); mdf-claim-reminder is started by its timer, with ${SHAPE}`,
    });
  });

  it('refuses the record alone, which has no key, with the same shape', () => {
    expect(runEvent(reminder, { mdfNumber: 'MDF-1001', status: 'Approved', endDate: '2026-05-13' }, 'request.json', catalog)).toEqual({
      problem: `request.json is not a timer's event: it has no "key"; mdf-claim-reminder is started by its timer, with ${SHAPE}`,
    });
  });

  it('takes the timer data as the timer gives it', () => {
    const data = { key: 'MDF-1001', date: '2026-05-13', offset: 14, due_at: '2026-05-27T07:00:00.000Z', record: { mdfNumber: 'MDF-1001' } };
    expect(runEvent(reminder, data, 'timer.json', catalog)).toEqual({ data });
  });
});
