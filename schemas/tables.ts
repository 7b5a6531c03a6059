import { z } from 'zod';
import { Region } from './domain/partner.ts';

/**
 * Tables that ops maintain beside the recipes (`recipes/tables/<name>.json`). Tables with a schema here
 * are checked at load; a bad row names the file and the row. Others are arrays of objects.
 */

/** D8, D9: who approves MDF for a region, and their manager (the secondary approver). */
export const ApproverRow = z
  .object({
    region: Region,
    approver_email: z.email(),
    approver_name: z.string().min(1),
    manager_email: z.email(),
    manager_name: z.string().min(1),
  })
  .strict();

/** D9: an approver's planned leave, inclusive dates. */
export const LeaveRow = z
  .object({
    approver_email: z.email(),
    from: z.iso.date(),
    to: z.iso.date(),
    note: z.string().optional(),
  })
  .strict()
  .refine((r) => r.from <= r.to, { message: '`to` is before `from`', path: ['to'] });

export const KNOWN_TABLES: Record<string, z.ZodType> = {
  approvers: ApproverRow,
  leave: LeaveRow,
};

/** The file format of a table: a description for ops and the rows. */
export const TableFile = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    rows: z.array(z.record(z.string(), z.unknown())),
  })
  .strict();
