import { z } from 'zod';
import { defineAction, type ActionContext } from '../kit/define-connector.ts';
import { PrmMdfRequest } from '../prm/prm-records.ts';
import { sameValue } from '../../server/engine/same-value.ts';
import type { MdfConnection } from './sync-fund-request.ts';

/** The error name of a region no approvers row has: a recipe's `on_error.when` can name it. */
export const NO_APPROVER_FOR_REGION = 'NoApproverForRegion';

/** The request's activity region has no row (or several) in the approvers table: not retried, ops correct the PRM or the table and retry the run. */
export class NoApproverForRegionError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = NO_APPROVER_FOR_REGION;
  }
}

/**
 * D8: the approver of an MDF request, chosen from the request as the PRM has it **now** and the
 * approvers table as it is now, in one step. A region the table lacks (a region ops have not added, or
 * one misspelt in the PRM: `EMAE`) fails the step, not retried, naming the region and both ways out;
 * the run then stands failed at this step, so `POST /runs/<id>/retry`, once ops corrected the request's
 * Activity Region in the PRM or added the table's row, reads both again. A request no longer Open (ops
 * decided or canceled it in the PRM while the run stood failed) is answered `open: false`, with no
 * approver, for the recipe to stop rather than have it decided a second time.
 */
export const approverForRequest = defineAction({
  description:
    "D8: reads the MDF request from the PRM now and finds its activity region's row in the approvers table now; open: false (no approver) when the request is no longer Open; a region without a row fails the step (NoApproverForRegion, not retried), so a retry after ops corrected the PRM or the table reads both again.",
  input: z.object({
    mdf_number: z.string().min(1).describe('The Funds Request Number, e.g. MDF-1001.'),
    table: z.string().min(1).default('approvers').describe('The table of region approvers (a row per region, column region).'),
  }),
  output: z
    .object({
      open: z.boolean().describe('False when the request is no longer Open in the PRM: nothing to route.'),
      region: z.string().nullable().describe("The request's Activity Region as the PRM has it now."),
      request: PrmMdfRequest.describe('The request as read now.'),
    })
    .loose()
    .describe("With open, the approvers row's columns too (approver_email, approver_name, manager_email, manager_name)."),
  readOnly: true,
  tableInput: 'table',
  run: async (input, ctx: ActionContext<MdfConnection>) => {
    const request = await ctx.connection.prm().getMdfRequestByNumber(input.mdf_number, { signal: ctx.signal, note: ctx.note });
    const region = typeof request.activityRegion === 'string' ? request.activityRegion : null;
    if (request.status !== 'Open') {
      ctx.note(`${input.mdf_number} is ${String(request.status)} in the PRM now: no approver is asked`);
      return { open: false, region, request };
    }
    const rows = ctx.tables?.rows(input.table);
    if (!rows) throw new Error(`no table named ${input.table}`);
    const matches = region === null ? [] : rows.filter((row) => sameValue(row.region, region));
    if (matches.length !== 1) {
      const regions = [...new Set(rows.map((row) => String(row.region)))].sort();
      const where = JSON.stringify({ region });
      throw new NoApproverForRegionError(
        matches.length === 0
          ? `table ${input.table} has no row where ${where}: ${input.mdf_number}'s Activity Region in the PRM is ${region === null ? 'blank' : JSON.stringify(region)}, and the table has rows for ${regions.join(', ') || 'no region'}. Correct the request's Activity Region in the PRM (a misspelt region), or add the region's row to the table, then retry the run: the retry reads the request from the PRM and the table again`
          : `table ${input.table} has ${matches.length} rows where ${where}; a lookup reads one row per key and does not pick one: keep one row for the key in the table and retry the run`,
      );
    }
    return { ...matches[0], open: true, region, request };
  },
});
