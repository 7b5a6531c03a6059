import { z } from 'zod';
import { Region } from './domain/partner.ts';

/**
 * Tables that ops maintain beside the recipes (`recipes/tables/<name>.json`). Tables with a schema here
 * are checked at load; a bad row names the file and the row. Others are arrays of objects.
 */

/**
 * An email address as tables hold it: in lower case, so that every comparison (approver and leave rows,
 * a lookup by address) ignores letter case as mail delivery does (D9: a leave row for
 * `Cmm.Emea@Vendor.example` is the leave of `cmm.emea@vendor.example`).
 */
export const TableEmail = z.email().transform((address) => address.toLowerCase());

/** D8, D9: who approves MDF for a region, and their manager (the secondary approver). */
export const ApproverRow = z
  .object({
    region: Region,
    approver_email: TableEmail,
    approver_name: z.string().min(1),
    manager_email: TableEmail,
    manager_name: z.string().min(1),
  })
  .strict();

/** D9: an approver's planned leave, inclusive dates. */
export const LeaveRow = z
  .object({
    approver_email: TableEmail,
    from: z.iso.date(),
    to: z.iso.date(),
    note: z.string().optional(),
  })
  .strict()
  .refine((r) => r.from <= r.to, { message: '`to` is before `from`', path: ['to'] });

/** D4, D5: the MDF programme's numbers, which ops may change (the approval recipe passes the row to the check), and D10's ops contact. */
export const MdfProgrammeRow = z
  .object({
    programme: z.string().min(1).describe('The programme the row is for, e.g. MDF.'),
    minimum_request_usd: z.number().nonnegative().describe('D4: the smallest amount a partner may request, in USD.'),
    maximum_vendor_share: z
      .number()
      .gt(0)
      .max(1)
      .refine((share) => Math.abs(share * 1e6 - Math.round(share * 1e6)) < 1e-6, 'at most six decimal places (0.5, 0.35, 0.333333)')
      .describe("D5: the largest share of the activity's total cost the vendor covers, e.g. 0.5 (at most six decimal places)."),
    ops_email: TableEmail.describe('D10: partner marketing operations, told of a request nobody decided in time.'),
    ops_name: z.string().min(1),
    note: z.string().optional(),
  })
  .strict();

/** D14: the days after an approved request's activity end on which a partner that has not claimed is reminded. */
export const ClaimReminderRow = z
  .object({
    days_after_end: z.number().int().positive().describe("D14: calendar days after the activity's end date, e.g. 14."),
    note: z.string().optional(),
  })
  .strict();

export const KNOWN_TABLES: Record<string, z.ZodType> = {
  approvers: ApproverRow,
  leave: LeaveRow,
  'mdf-programme': MdfProgrammeRow,
  'claim-reminders': ClaimReminderRow,
};

/** The file format of a table: a description for ops and the rows. */
export const TableFile = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    rows: z.array(z.record(z.string(), z.unknown())),
  })
  .strict();
