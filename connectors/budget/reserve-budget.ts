import { z } from 'zod';
import { usd } from '../../server/engine/expression.ts';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { BudgetConnection } from './budget-connection.ts';

/** USD to whole cents, as money is compared everywhere (0.1 + 0.2 must be 0.3). */
const toCents = (usd: number) => Math.round(usd * 100);
const toUsd = (cents: number) => cents / 100;

const Pool = z.string().min(1).max(200).describe('The budget pool, e.g. flexi:EMEA:2026-Q2 (the flexi-budget of a region and quarter).');
const Holder = z.string().min(1).max(300).describe('Who holds the reservation, e.g. mdf-request:MDF-2001; one answer per holder and pool.');

/**
 * `budget.reserve` (D13): reserves an amount in a pool only if what the pool holds plus the amount fits
 * the cap, atomically in the runtime's store (two requests decided at the same moment, of which only one
 * fits, never both pass). Idempotent per holder: a retried step gets the same answer. The output has the
 * numbers a partner and an approver are told.
 */
export const reserveBudget = defineAction({
  description: 'Reserves amount_usd in a budget pool if it fits cap_usd with what is already reserved there; the same answer again for the same holder.',
  input: z
    .object({
      pool: Pool,
      holder: Holder,
      amount_usd: z.number().nonnegative().describe('The amount to reserve, in USD (to the cent).'),
      cap_usd: z.number().nonnegative().describe("The pool's cap, in USD: e.g. the flexi share times the region's quarterly budget."),
      whatever_the_cap: z
        .boolean()
        .optional()
        .describe('True: the amount is reserved even when it does not fit (money already spent, such as an approved claim, D13), and over_cap says whether the pool is now over its cap.'),
    })
    .strict(),
  output: z.object({
    reserved: z.boolean().describe('True when the amount was reserved; false when it did not fit (nothing reserved).'),
    pool: z.string(),
    requested_usd: z.number(),
    already_reserved_usd: z.number().describe('What others held in the pool when this request was answered.'),
    cap_usd: z.number(),
    left_usd: z.number().describe('What the pool has left: after this reservation when it was made, before it when it did not fit.'),
    over_cap: z.boolean().optional().describe('Only with whatever_the_cap: true when the pool holds more than its cap with this reservation.'),
    answered_before: z.boolean().optional().describe('Only with whatever_the_cap: true when this holder already held a reservation in the pool (nothing more was reserved; the numbers are the first answer).'),
  }),
  idempotent: true,
  async run(input, ctx: ActionContext<BudgetConnection>) {
    // A cap computed as share x budget may carry a binary fraction of a cent: a cent that is not all
    // there is not in the budget.
    const capCents = Math.floor(input.cap_usd * 100 + 1e-6);
    if (input.whatever_the_cap === true) {
      // The store reserves only what fits its cap: the largest cap there is lets every amount in, and
      // the pool's real cap is compared here with what the pool holds with it.
      const answer = await ctx.connection.store.reserveBudget({
        pool: input.pool,
        holder: input.holder,
        amountCents: toCents(input.amount_usd),
        capCents: Number.MAX_SAFE_INTEGER,
        now: ctx.clock.now(),
      });
      const heldCents = answer.reservedBeforeCents + answer.amountCents;
      const overCap = heldCents > capCents;
      ctx.note(
        `reserved whatever the cap: ${usd(toUsd(answer.amountCents))} in ${answer.pool} (already reserved ${usd(toUsd(answer.reservedBeforeCents))} of ${usd(toUsd(capCents))})${overCap ? ', over the cap' : ''}${answer.repeated ? ', answered before' : ''}`,
      );
      return {
        reserved: answer.granted,
        pool: answer.pool,
        requested_usd: toUsd(answer.amountCents),
        already_reserved_usd: toUsd(answer.reservedBeforeCents),
        cap_usd: toUsd(capCents),
        left_usd: toUsd(Math.max(0, capCents - heldCents)),
        over_cap: overCap,
        answered_before: answer.repeated,
      };
    }
    const answer = await ctx.connection.store.reserveBudget({
      pool: input.pool,
      holder: input.holder,
      amountCents: toCents(input.amount_usd),
      capCents,
      now: ctx.clock.now(),
    });
    ctx.note(
      `${answer.granted ? 'reserved' : 'did not fit'}: ${usd(toUsd(answer.amountCents))} in ${answer.pool} (already reserved ${usd(toUsd(answer.reservedBeforeCents))} of ${usd(toUsd(answer.capCents))})${answer.repeated ? ', answered before' : ''}`,
    );
    return {
      reserved: answer.granted,
      pool: answer.pool,
      requested_usd: toUsd(answer.amountCents),
      already_reserved_usd: toUsd(answer.reservedBeforeCents),
      cap_usd: toUsd(answer.capCents),
      left_usd: toUsd(answer.leftCents),
    };
  },
});

/** `budget.release`: gives a holder's reservation back (on denial, cancellation, or nobody deciding). */
export const releaseBudget = defineAction({
  description: "Gives a holder's reservation back to its pool (all pools, or only `pool`); releasing what is not held changes nothing.",
  input: z.object({ holder: Holder, pool: Pool.optional() }).strict(),
  output: z.object({
    released_usd: z.number().describe('What went back to the pools (0 when nothing was held).'),
    pools: z.array(z.string()).describe('The pools a reservation or a refusal of the holder was removed from.'),
  }),
  idempotent: true,
  async run(input, ctx: ActionContext<BudgetConnection>) {
    const release = await ctx.connection.store.releaseBudget({ holder: input.holder, pool: input.pool, now: ctx.clock.now() });
    ctx.note(release.released.length > 0 ? `released ${usd(toUsd(release.releasedCents))} from ${release.released.map((r) => r.pool).join(', ')}` : 'nothing was held');
    return { released_usd: toUsd(release.releasedCents), pools: release.released.map((r) => r.pool) };
  },
});
