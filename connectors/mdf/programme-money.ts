/**
 * The money arithmetic the MDF checks share (D4, D5, D18, D19): amounts compared as the exact decimals the
 * PRM and the tables hold (server/engine/money.ts), never rounded to the cent before a limit, and a
 * programme share of a cost taken exactly, so that the request and the claim check can never round one
 * rule two ways.
 */
import { exactUsd, floorCents, timesExact, type ExactAmount } from '../../server/engine/money.ts';

/** A share as the partner reads it: 0.5 is "50%". */
export const percentOf = (share: number) => `${Math.round(share * 10_000) / 100}%`;

/** The programme's share of a cost, exactly: 50% of USD 2,000.01 is 1,000.005, 50% of USD 1,999.999 is 999.9995. */
export function shareOf(costUsd: number, maximumShare: number): ExactAmount {
  return timesExact(exactUsd(costUsd), exactUsd(maximumShare));
}

/**
 * An exact amount in USD rounded DOWN to the cent: the largest whole-cent amount within it. Half of USD
 * 2,000.01 is USD 1,000.005, and telling the partner USD 1,000.01 would name an amount that is refused
 * again; in floating point 35% of 340,000 cents is 118,999.99999999999, which refused an exact 35% request.
 */
export function centsDown(amount: ExactAmount): number {
  return Number(floorCents(amount)) / 100;
}

/** The amount rounded DOWN to the cent, in USD: the whole-cent amount a partner may give instead of 999.999. */
export function downToTheCent(usdAmount: number): number {
  return centsDown(exactUsd(usdAmount));
}
