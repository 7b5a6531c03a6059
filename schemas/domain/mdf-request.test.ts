import { describe, expect, it } from 'vitest';
import { PrmTimestamp } from './mdf-request.ts';

describe('PrmTimestamp', () => {
  it('reads the forms a PRM answers with: ISO with a zone, ISO without, and the space-separated form of its filters', () => {
    for (const stamp of ['2026-03-02T09:00:00.000Z', '2026-03-02T10:00:00+01:00', '2026-03-02T09:00:00', '2026-03-02 09:00:00', '2026-03-02 09:00:00.123']) {
      expect(PrmTimestamp.safeParse(stamp).success, stamp).toBe(true);
    }
  });

  it('refuses what is not a time', () => {
    for (const stamp of ['2026-03-02', 'yesterday', '2026-13-02 09:00:00x', '']) {
      expect(PrmTimestamp.safeParse(stamp).success, stamp).toBe(false);
    }
  });
});
