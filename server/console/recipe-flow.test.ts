import { describe, expect, it } from 'vitest';
import { html } from 'hono/html';
import { Recipe } from '../../schemas/recipe.ts';
import { asRunId, asStepKey } from '../engine/ids.ts';
import type { JournalEntry } from '../store/store.ts';
import { textOf } from '../../test/support/console-browser.ts';
import { recipeFlow } from './recipe-flow.ts';

const recipe = Recipe.parse({
  name: 'flow-test',
  version: 1,
  description: 'Steps of every kind that nest.',
  trigger: { type: 'webhook', event: 'fake.thing.happened' },
  steps: [
    { id: 'each', type: 'foreach', items: '{% trigger.data.items %}', steps: [{ id: 'send', type: 'action', action: 'fake.record', input: { key: 'k' } }] },
    { id: 'decision', type: 'wait_for', signal: 'decision', timeout: 'P2D', on_timeout: [{ id: 'escalate', type: 'action', action: 'fake.record', input: { key: 'e' } }] },
  ],
  on_error: { steps: [{ id: 'tell_ops', type: 'action', action: 'fake.record', input: { key: 'ops' } }] },
});

function entry(stepKey: string, over: Partial<JournalEntry> = {}): JournalEntry {
  return { runId: asRunId('run_1'), stepKey: asStepKey(stepKey), stepId: stepKey.split('.').at(-1)!, stepType: 'action', status: 'completed', input: null, output: null, error: null, attempts: 1, startedAt: 0, finishedAt: 1, nextAttemptAt: null, wait: null, notes: [], ...over };
}

async function render(journal: JournalEntry[] | undefined): Promise<string> {
  const run = journal && { journal: new Map(journal.map((e) => [e.stepKey as string, e])), entry: (e: JournalEntry) => html`<span class="entry">entry of ${e.stepKey}</span>` };
  return String(await recipeFlow(recipe, run));
}

describe('the recipe flow', () => {
  it('draws a recipe without a run: every step, nested, none marked', async () => {
    const out = await render(undefined);
    expect(textOf(out)).toBe('each foreach {% trigger.data.items %} for each item send action fake.record decision wait for signal decision, timeout "P2D" on timeout escalate action fake.record When the run fails (on_error): tell_ops action fake.record');
    expect(out).not.toMatch(/taken|not run/);
  });

  it('draws a run: each foreach item it reached with its steps, the timeout branch it took, on_error not taken', async () => {
    const out = await render([entry('each', { stepType: 'foreach' }), entry('each[0].send'), entry('each[1].send', { status: 'failed', attempts: 3 }), entry('decision', { stepType: 'wait_for', output: { timed_out: true } }), entry('escalate')]);
    const text = textOf(out);
    expect(text).toContain('item 0 (taken) send action fake.record completed entry of each[0].send');
    expect(text).toContain('item 1 (taken) send action fake.record failed entry of each[1].send');
    expect(text).toContain('on timeout (taken) escalate action fake.record completed entry of escalate');
    expect(out).toMatch(/class="step not-taken" id="step-on_error.tell_ops"/);
  });

  it('dims a foreach body no item reached', async () => {
    const out = await render([entry('each', { stepType: 'foreach' })]);
    expect(textOf(out)).toContain('for each item (not taken) send action fake.record not run');
  });
});
