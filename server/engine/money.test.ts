import { describe, expect, it } from 'vitest';
import { exactToNumber, exactUsd, floorCents, subtractExact } from './money.ts';

describe('exact money', () => {
  it('subtracts exactly: what is left of USD 1,000.005 after USD 999.999 is 0.006, not float noise', () => {
    expect(subtractExact(exactUsd(1000.005), exactUsd(999.999))).toEqual({ units: 6n, scale: 3 });
    expect(subtractExact(exactUsd(500), exactUsd(750.25))).toEqual({ units: -25025n, scale: 2 });
    expect(floorCents(subtractExact(exactUsd(500), exactUsd(500.001)))).toBe(-1n);
  });

  it('gives the amount back as the number it prints as, negative or whole', () => {
    expect(exactToNumber(exactUsd(999.999))).toBe(999.999);
    expect(exactToNumber(exactUsd(-1234.5))).toBe(-1234.5);
    expect(exactToNumber(exactUsd(1_000_000))).toBe(1_000_000);
    expect(exactToNumber({ units: -7n, scale: 0 })).toBe(-7);
    expect(exactToNumber({ units: 5n, scale: 3 })).toBe(0.005);
  });
});
