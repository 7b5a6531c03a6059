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

/** A day as tables write it: `2026-07-27` (a day typed `27/07/2026` is refused, showing it, by the table check). */
export const TableDate = z.iso.date({ error: 'a date written YYYY-MM-DD, e.g. 2026-07-27' });

/** D9: an approver's planned leave, inclusive dates. */
export const LeaveRow = z
  .object({
    approver_email: TableEmail,
    from: TableDate,
    to: TableDate,
    note: z.string().optional(),
  })
  .strict()
  // Only between two dates: after a date that did not parse, "`to` is before `from`" would be a second, false error.
  .refine((r) => r.from <= r.to, { message: '`to` is before `from`', path: ['to'], when: (payload) => bothDates(payload.value) });

function bothDates(value: unknown): boolean {
  const row = value as { from?: unknown; to?: unknown } | null;
  return typeof row === 'object' && row !== null && TableDate.safeParse(row.from).success && TableDate.safeParse(row.to).success;
}

/** A share as a fraction, more than 0 and at most 1, to a millionth (the precision money is computed with). */
const Share = z
  .number()
  .gt(0)
  .max(1)
  .refine((share) => Math.abs(share * 1e6 - Math.round(share * 1e6)) < 1e-6, 'at most six decimal places (0.5, 0.35, 0.333333)');

/** D4, D5: the MDF programme's numbers, which ops may change (the approval recipe passes the row to the check), and D10's ops contact. */
export const MdfProgrammeRow = z
  .object({
    programme: z.string().min(1).describe('The programme the row is for, e.g. MDF.'),
    minimum_request_usd: z.number().nonnegative().describe('D4: the smallest amount a partner may request, in USD.'),
    maximum_vendor_share: Share.describe("D5: the largest share of the activity's total cost the vendor covers, e.g. 0.5 (at most six decimal places)."),
    ops_email: TableEmail.describe('D10: partner marketing operations, told of a request nobody decided in time.'),
    ops_name: z.string().min(1),
    flexi_share: Share.describe("D13: the share of a region's quarterly MDF budget that requests outside its target markets may use (the flexi-budget), e.g. 0.05 (at most six decimal places)."),
    note: z.string().optional(),
  })
  .strict();

// ── D13, D10: the flexi-budget and the approval levels ──────────────────────────────────────

/** A quarter as budgets are planned: `2026-Q2`. A request draws on the quarter of its activity's start date. */
export const Quarter = z.string().regex(/^\d{4}-Q[1-4]$/, 'a quarter such as 2026-Q2');

/** An ISO 3166-1 alpha-2 country code in capitals, e.g. DE. */
export const CountryCode = z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 country code in capitals, e.g. DE');

/** D13: a region's MDF budget for one quarter; the flexi-budget is `flexi_share` of it. */
export const MdfBudgetRow = z
  .object({
    region: Region,
    quarter: Quarter,
    budget_usd: z.number().nonnegative().describe("The region's MDF budget for the quarter, in USD."),
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

/** D13: a country that is a target market of a region; an activity elsewhere draws on the flexi-budget. */
export const TargetMarketRow = z
  .object({
    region: Region,
    country: CountryCode,
    note: z.string().optional(),
  })
  .strict();

/**
 * D10: one approval level: who decides, how many business days they have before a reminder and an
 * escalation, and how many more before ops take over. `applies_to`: `all` requests, or only `flexi` ones
 * (D13, outside the region's target markets).
 */
export const ApprovalLevelRow = z
  .object({
    level: z.number().int().positive(),
    approver: z.enum(['cmm', 'regional_marketing_lead']).describe('cmm: the approvers table; regional_marketing_lead: the regional-marketing-leads table.'),
    business_days: z.number().int().positive().max(60).describe('D10: business days to decide before the approver is reminded and their manager asked.'),
    escalation_business_days: z.number().int().positive().max(120).describe('D10: further business days after the escalation before ops are asked to decide.'),
    applies_to: z.enum(['all', 'flexi']),
    note: z.string().optional(),
  })
  .strict();

/** D10, D13: the marketing lead of a region (the second level for flexi requests) and their manager (leave, escalation). */
export const RegionalMarketingLeadRow = z
  .object({
    region: Region,
    lead_email: TableEmail,
    lead_name: z.string().min(1),
    manager_email: TableEmail,
    manager_name: z.string().min(1),
  })
  .strict();

/**
 * D24, D25: one Lead Status that means the partner has not worked the lead yet (the PRM's default, New):
 * the same statuses in the portal (lead-activity-from-prm, the recall's read of the PRM lead) and in
 * Marketo (lead-activity-from-marketo, the recall's read of the Lead Status changes). Ops rename a
 * status in the PRM, then here. Compared as written, without surrounding spaces.
 */
export const UntouchedLeadStatusRow = z
  .object({
    status: z
      .string()
      .refine((s) => s.trim() !== '' && s.trim() === s, 'a Lead Status as the PRM writes it, not blank and without surrounding spaces (e.g. "New")')
      .describe('D24, D25: a Lead Status that is no partner work.'),
  })
  .strict();

export const KNOWN_TABLES: Record<string, z.ZodType> = {
  'untouched-lead-statuses': UntouchedLeadStatusRow,
  approvers: ApproverRow,
  leave: LeaveRow,
  'mdf-programme': MdfProgrammeRow,
  'mdf-budgets': MdfBudgetRow,
  'target-markets': TargetMarketRow,
  'approval-levels': ApprovalLevelRow,
  'regional-marketing-leads': RegionalMarketingLeadRow,
  'claim-reminders': ClaimReminderRow,
};

/** What a row is, said where a row is something else (a list, a value): zod says "expected record". */
export const TABLE_ROW_FORM = 'a row is an object of columns and their values, e.g. { "region": "EMEA", "approver_email": "cmm.emea@vendor.example" }';

/** The file format of a table: a description for ops and the rows. */
export const TableFile = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    rows: z.array(z.record(z.string(), z.unknown(), { error: (issue) => (issue.code === 'invalid_type' && issue.input !== undefined ? TABLE_ROW_FORM : undefined) })),
  })
  .strict();
