import { describe, expect, it } from 'vitest';
import { rowPassesGuards } from './row-guards.ts';

/**
 * Which table rows a send inside `if`s can read (the template names validate and the start check):
 * a row is claimed only where no `if` can have kept the run from the send with that row, so a
 * recipe that runs well is never refused (review of the session's change, findings 3 and 5).
 */
describe('rowPassesGuards', () => {
  const closed = { status: 'Closed', template: 'n/a', notify: false };
  const open = { status: 'Open', template: 'request-open', notify: true };

  it('an if on the lookup\'s own cell: the row it rules out is not claimed, the one it lets through is', () => {
    const guards = [{ condition: '{% $steps.notice.notify %}', then: true }];
    expect(rowPassesGuards(guards, 'notice', closed)).toBe(false);
    expect(rowPassesGuards(guards, 'notice', open)).toBe(true);
  });

  it('an if on a copy of the cell ($vars set from the row) or on a foreach item cannot be decided for the row: the row is not claimed (it was, and a valid recipe was refused)', () => {
    expect(rowPassesGuards([{ condition: '{% $vars.notify %}', then: true }], 'notice', closed)).toBe(false);
    expect(rowPassesGuards([{ condition: '{% n.notify %}', then: true }], 'notice', [closed])).toBe(false);
  });

  it('an if on something else of the run (the event, another step) leaves every row in', () => {
    expect(rowPassesGuards([{ condition: "{% $trigger.data.status = 'Open' %}", then: true }], 'notice', closed)).toBe(true);
    expect(rowPassesGuards([{ condition: "{% $steps.request.status = 'Open' %}", then: false }], 'notice', closed)).toBe(true);
  });

  it('the branch is the one the engine takes: an empty object or [false] is true for an if (JSONata\'s $boolean says false)', () => {
    const row = { status: 'Odd', template: 'x', flags: {}, list: [false] };
    expect(rowPassesGuards([{ condition: '{% $steps.notice.flags %}', then: true }], 'notice', row)).toBe(true);
    expect(rowPassesGuards([{ condition: '{% $steps.notice.flags %}', then: false }], 'notice', row)).toBe(false);
    expect(rowPassesGuards([{ condition: '{% $steps.notice.list %}', then: true }], 'notice', row)).toBe(true);
  });
});
