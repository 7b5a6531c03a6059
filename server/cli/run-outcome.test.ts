import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Recipe } from '../../schemas/recipe.ts';
import { afterTimeout } from './run-outcome.ts';

/** What `partnerflow run` says follows a wait's timeout, read from the shipped MDF approval recipe (D10). */
const approval = JSON.parse(readFileSync(join(resolve(import.meta.dirname, '../..'), 'recipes/mdf-requests/mdf-request-approval.recipe.json'), 'utf8')) as Recipe;

describe('partnerflow run: what happens after a wait (D10)', () => {
  it("names the wait's on_timeout steps: the reminder, the escalation and the escalated wait", () => {
    expect(afterTimeout(approval, 'decision')).toBe('then, on timeout: request_at_deadline, remind_approver, escalate, decision_escalated (as their conditions hold)');
  });

  it('names the step the run goes on with after a wait without on_timeout, even one nested in another wait', () => {
    expect(afterTimeout(approval, 'decision.decision_escalated')).toBe('then the run goes on with outcome');
  });
});
