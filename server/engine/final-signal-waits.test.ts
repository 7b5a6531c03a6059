import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Recipe, type Step } from '../../schemas/recipe.ts';
import type { JournalBranchView } from '../store/approval-link-lifetime.ts';
import { finalTimeoutCheck } from './final-signal-waits.ts';

/** The waits on the signal whose timeout is final for a run with this journal. */
function finalSignalWaits(recipe: Recipe, signal: string, journal: JournalBranchView[] = []): Set<string> {
  const ids: string[] = [];
  const visit = (steps: readonly Step[]): void =>
    steps.forEach((s) => {
      if (s.type === 'wait_for' && s.signal === signal) ids.push(s.id);
      if (s.type === 'wait_for' && s.on_timeout) visit(s.on_timeout);
      if (s.type === 'if') visit([...s.then, ...(s.else ?? [])]);
      if (s.type === 'foreach') visit(s.steps);
    });
  visit([...recipe.steps, ...(recipe.on_error?.steps ?? [])]);
  const isFinal = finalTimeoutCheck(recipe, signal);
  return new Set(ids.filter((id) => isFinal(id, journal)));
}

const recipe = (steps: Step[], onError?: Step[]): Recipe =>
  Recipe.parse({ name: 'r-test', version: 1, description: 'test', trigger: { type: 'run' }, steps, ...(onError ? { on_error: { steps: onError } } : {}) });
const waitOn = (id: string, extra: Partial<Step> = {}): Step => ({ id, type: 'wait_for', signal: 'decision', timeout: 'P1D', ...extra }) as Step;
const stop: Step = { id: 'done', type: 'stop' };

describe('D10: final signal waits (a click after their timeout has nothing left to answer)', () => {
  it('the escalation wait in on_timeout follows the first wait; nothing follows the escalation wait (the shipped MDF approval recipe)', () => {
    const approval = Recipe.parse(JSON.parse(readFileSync(new URL('../../recipes/mdf-requests/mdf-request-approval.recipe.json', import.meta.url), 'utf8')));
    expect([...finalSignalWaits(approval, 'decision')]).toEqual(['decision_escalated']);
  });

  it('a later wait in an if branch the run did not take can no longer be reached: the MDF request was no longer Open at the first deadline', () => {
    const approval = Recipe.parse(JSON.parse(readFileSync(new URL('../../recipes/mdf-requests/mdf-request-approval.recipe.json', import.meta.url), 'utf8')));
    const branch = (taken: 'then' | 'else') => [{ stepId: 'open_at_deadline', status: 'completed', output: { branch: taken } }];
    expect(finalSignalWaits(approval, 'decision', branch('else')).has('decision')).toBe(true);
    expect(finalSignalWaits(approval, 'decision', branch('then')).has('decision')).toBe(false);
  });

  it('a wait later in the flow, even in a branch after an enclosing if, keeps the earlier one open', () => {
    const r = recipe([{ id: 'gate', type: 'if', condition: '{% true %}', then: [waitOn('first')] }, { id: 'again', type: 'if', condition: '{% true %}', then: [waitOn('second')] }, stop]);
    expect([...finalSignalWaits(r, 'decision')]).toEqual(['second']);
  });

  it('a wait in a foreach can follow itself in the next iteration; a wait on another signal does not count', () => {
    const r = recipe([{ id: 'each', type: 'foreach', items: '{% [1,2] %}', steps: [waitOn('per_item')] }, waitOn('other', { signal: 'other' } as Partial<Step>)]);
    expect(finalSignalWaits(r, 'decision').has('per_item')).toBe(false);
    expect(finalSignalWaits(r, 'other').has('other')).toBe(true);
  });

  it("a wait in the recipe's on_error may follow any wait", () => {
    const r = recipe([waitOn('first'), stop], [waitOn('after_failure')]);
    expect([...finalSignalWaits(r, 'decision')]).toEqual(['after_failure']);
  });
});
