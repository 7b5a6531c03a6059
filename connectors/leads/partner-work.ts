import { z } from 'zod';
import { prmString } from '../prm/prm-filter-string.ts';
import type { PrmPartnerLead } from '../prm/prm-records.ts';

/**
 * What counts as the partner working its PRM lead (D24, D25), in one place: a Lead Status other than
 * the untouched ones, or notes. The recall reads it on a lead in hand (`isWorkedInPrm`), the
 * lead-activity-from-prm poll asks the PRM for it (`workedInPrmFilter`); both take the same
 * `untouched_statuses` input.
 */
export const UntouchedStatuses = z
  .array(z.string())
  .default(['New'])
  .describe("D24, D25: PRM Lead Statuses that mean the partner has not worked the lead yet (the PRM's default, New).");

/** Whether the PRM lead shows the partner's work: a Lead Status other than the untouched ones, or notes. */
export function isWorkedInPrm(lead: Pick<PrmPartnerLead, 'status' | 'partnerNotes'>, untouchedStatuses: readonly string[]): boolean {
  const status = (lead.status ?? '').trim();
  return (status !== '' && !untouchedStatuses.includes(status)) || (lead.partnerNotes ?? '').trim() !== '';
}

/** The same as a PRM filter expression, so the PRM selects the worked leads itself (it cannot trim: a blank is compared as is). */
export function workedInPrmFilter(untouchedStatuses: readonly string[]): string {
  const untouched = untouchedStatuses.map((s) => ` and Status ne ${prmString(s)}`).join('');
  return `((Status ne null and Status ne ''${untouched}) or (PartnerNotes ne null and PartnerNotes ne ''))`;
}
