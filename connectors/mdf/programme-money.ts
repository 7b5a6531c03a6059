/**
 * The money arithmetic the MDF checks share (D4, D5, D18, D19): amounts compared in whole cents, and a
 * programme share of a cost taken in integer arithmetic, so that the request and the claim check can
 * never round one rule two ways.
 */

/** Money compared in whole cents: 1,000.14 + 1,000 must equal 2,000.14, which it does not in binary floating point. */
export const cents = (usdAmount: number) => Math.round(usdAmount * 100);

/** A share as the partner reads it: 0.5 is "50%". */
export const percentOf = (share: number) => `${Math.round(share * 10_000) / 100}%`;

/** Shares are taken to a millionth, the precision the mdf-programme table allows. */
const SHARE_SCALE = 1_000_000;

/**
 * The share of a cost in whole cents, rounded DOWN, in integer arithmetic: half of USD 2,000.01 is USD
 * 1,000.005, and telling the partner USD 1,000.01 would name an amount that is refused again; in
 * floating point 35% of 340,000 cents is 118,999.99999999999, which refused an exact 35% request.
 */
export function largestAllowedCents(costCents: number, maximumShare: number): number {
  return Number((BigInt(costCents) * BigInt(Math.round(maximumShare * SHARE_SCALE))) / BigInt(SHARE_SCALE));
}
