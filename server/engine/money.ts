/**
 * Money as exact decimals. An amount arrives as a JSON number (the PRM's 999.999, a table's 1000); the
 * rules compare it and the emails show it as that decimal, never as the binary double nearest to it, and
 * never rounded to the cent first: rounded, USD 999.999 passed a USD 1,000 minimum and was shown as
 * "USD 1,000" (review 6, finding 3).
 *
 * An amount within a millionth of a cent of a whole cent (relative to its size for large amounts) is that
 * whole cent: 1000.1 + 0.2 is 1000.3000000000001 and 2857 - 999.95 is 1857.0500000000002 in binary
 * floating point, noise that no one typed.
 */

/** units / 10^scale, with units a whole number and scale ≥ 0. */
export interface ExactAmount {
  readonly units: bigint;
  readonly scale: number;
}

/** Whether usd * 100 is within a millionth of a cent (or 1e-13 of itself, for large amounts) of a whole cent: binary floating point noise. */
function noiseOfCents(usd: number): boolean {
  const hundredths = usd * 100;
  const whole = Math.round(hundredths);
  return Math.abs(hundredths - whole) <= Math.max(1e-6, Math.abs(whole) * 1e-13);
}

/** Drops the trailing zeros of the fraction: 1000.10 is 10001 / 10^1. */
function normalized(units: bigint, scale: number): ExactAmount {
  while (scale > 0 && units % 10n === 0n) {
    units /= 10n;
    scale -= 1;
  }
  return { units, scale };
}

/** The amount as an exact decimal: 999.999 → 999999 / 10^3 (its shortest decimal form), 1000.3000000000001 → 100030 / 10^2 (noise). */
export function exactUsd(usd: number): ExactAmount {
  if (!Number.isFinite(usd)) throw new RangeError(`not an amount: ${usd}`);
  const written = shortestDecimal(usd);
  if (written.scale <= 2 || !noiseOfCents(usd)) return written;
  // Noise: the nearest whole cent of the decimal (half away from zero), taken from its digits, not from usd * 100.
  const drop = 10n ** BigInt(written.scale - 2);
  const magnitude = written.units < 0n ? -written.units : written.units;
  const cents = (magnitude + drop / 2n) / drop;
  return normalized(written.units < 0n ? -cents : cents, 2);
}

/** The number's shortest decimal form (what JSON carried): 999.999 → 999999 / 10^3, 1e21 → 10^21. */
function shortestDecimal(usd: number): ExactAmount {
  const [mantissa = '0', exponent = '0'] = String(usd).toLowerCase().split('e');
  const negative = mantissa.startsWith('-');
  const [whole = '0', fraction = ''] = mantissa.replace('-', '').split('.');
  let units = BigInt(whole + fraction);
  let scale = fraction.length - Number(exponent);
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return normalized(negative ? -units : units, scale);
}

const at = (amount: ExactAmount, scale: number) => amount.units * 10n ** BigInt(scale - amount.scale);

/** -1, 0 or 1 as a is less than, equal to or more than b, exactly. */
export function compareExact(a: ExactAmount, b: ExactAmount): -1 | 0 | 1 {
  const scale = Math.max(a.scale, b.scale);
  const x = at(a, scale);
  const y = at(b, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function addExact(a: ExactAmount, b: ExactAmount): ExactAmount {
  const scale = Math.max(a.scale, b.scale);
  return normalized(at(a, scale) + at(b, scale), scale);
}

/** a - b, exactly. */
export function subtractExact(a: ExactAmount, b: ExactAmount): ExactAmount {
  return addExact(a, { units: -b.units, scale: b.scale });
}

export function timesExact(a: ExactAmount, b: ExactAmount): ExactAmount {
  return normalized(a.units * b.units, a.scale + b.scale);
}

/** The amount in whole cents, rounded DOWN (towards minus infinity): the most of it a whole-cent amount can be. */
export function floorCents(amount: ExactAmount): bigint {
  const hundredths = amount.scale <= 2 ? at(amount, 2) : amount.units / 10n ** BigInt(amount.scale - 2);
  // BigInt division truncates towards zero; a negative amount with a fraction of a cent goes one cent lower.
  return amount.units < 0n && amount.scale > 2 && hundredths * 10n ** BigInt(amount.scale - 2) !== amount.units ? hundredths - 1n : hundredths;
}

/** Whether the amount has a fraction of a cent (USD 8,000.004 does, USD 1,000.10 and float noise do not). */
export function hasFractionOfCent(usd: number): boolean {
  return exactUsd(usd).scale > 2;
}

/** The amount's digits: whole dollars grouped by thousands, and its fraction (empty for whole dollars). */
export function usdDigits(amount: ExactAmount): { negative: boolean; dollars: string; fraction: string } {
  const negative = amount.units < 0n;
  const digits = (negative ? -amount.units : amount.units).toString().padStart(amount.scale + 1, '0');
  const dollars = BigInt(digits.slice(0, digits.length - amount.scale)).toLocaleString('en-US');
  return { negative, dollars, fraction: digits.slice(digits.length - amount.scale) };
}

/** The exact amount as a number again (for `usd()` and JSON): the double nearest to it, which prints as its decimal. */
export function exactToNumber(amount: ExactAmount): number {
  return Number(`${amount.units}e-${amount.scale}`);
}
