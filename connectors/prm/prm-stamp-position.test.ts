import { describe, expect, it } from 'vitest';
import { FIRST_PAGE, nextPosition, StampPosition } from './prm-stamp-position.ts';

const told = (last: { id: number | null; updated: string }) => `the claims listed after claim ${last.id} (${last.updated}) ended with it again`;

describe('paging PRM records by their Updated stamp', () => {
  it('moves after the last stamped record and the last one without a stamp', () => {
    const next = nextPosition(FIRST_PAGE, [{ id: 4, updated: '2026-03-02 09:00:00' }, { id: 9, updated: null }], told);
    expect(next).toEqual({ stamped: { updated: '2026-03-02 09:00:00', id: 4 }, unstamped: 9 });
    // A poll's next page carries the position as JSON: it reads back the same.
    expect(StampPosition.parse(JSON.parse(JSON.stringify(next)))).toEqual(next);
  });

  it('fails with the caller\'s message, naming the last record, when a page does not move the position (a PRM that ignores it)', () => {
    const at = { stamped: { updated: '2026-03-02 09:00:00', id: 4 }, unstamped: null };
    expect(() => nextPosition(at, [{ id: 4, updated: '2026-03-02 09:00:00' }], told)).toThrow(new Error('the claims listed after claim 4 (2026-03-02 09:00:00) ended with it again'));
    expect(() => nextPosition({ stamped: null, unstamped: 9 }, [{ id: 9 }], told)).toThrow(new Error('the claims listed after claim 9 (no Updated stamp) ended with it again'));
  });
});
