import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import type { PrmClient } from './prm-client.ts';
import { PrmMdfClaimSummary } from './prm-records.ts';

/**
 * `prm.list_mdf_claims`: the claims against one MDF request (D14: has the partner claimed yet?), or the
 * claims with one title (D15: is it taken?), titles compared as claimTitleKey compares them (NFKC, case
 * folded, whitespace runs one space; PrmClient.findMdfClaimsByTitle: the keys kept in the store, brought
 * up to date with the claims the PRM changed, then the matches read again). Every page is read, so a
 * request with many claims is not cut at the PRM's page size. Claims are read leniently: one claim with
 * a field in a form the full claim schema refuses does not fail the listing; one without an id, MDF
 * number or status fails it naming the claim.
 */
export const listMdfClaims = defineAction({
  description: 'Lists MDF claims in the PRM, by the MDF number they claim against or by title (compared after NFKC, case folding and collapsing whitespace).',
  input: z
    .object({
      mdf_number: z.string().min(1).optional().describe('The Funds Request Number the claims draw on, e.g. MDF-1001.'),
      title: z.string().trim().min(1).optional().describe('A claim title; matches compare after NFKC, case folding and collapsing whitespace (D15).'),
      except_claim_id: z.coerce.number().int().positive().optional().describe('Leave out this claim (the one being checked).'),
    })
    .refine((input) => (input.mdf_number === undefined) !== (input.title === undefined), {
      message: 'give exactly one of mdf_number and title',
    }),
  output: z.object({
    claims: z.array(PrmMdfClaimSummary).describe('Oldest first; read leniently (id, mdfNumber, title, status, amount checked; other fields as the PRM has them).'),
    count: z.number().int().nonnegative(),
  }),
  idempotent: true,
  run: async (input, ctx: ActionContext<PrmClient>) => {
    const call = { signal: ctx.signal, note: ctx.note };
    let claims;
    if (input.title !== undefined) {
      claims = await ctx.connection.findMdfClaimsByTitle(input.title, call);
    } else {
      claims = [];
      for await (const claim of ctx.connection.listMdfClaimsByMdfNumber(input.mdf_number!, call)) claims.push(claim);
    }
    const kept = claims.filter((claim) => claim.id !== input.except_claim_id);
    return { claims: kept, count: kept.length };
  },
});
