/**
 * The clock the `leads` round's two processes share: the runtime runs on a virtual clock in its process
 * (bench/leads-measure.ts), the simulated systems in another (bench/leads-systems.ts). Each of the
 * runtime's requests carries its clock's time in this header, and the simulated
 * systems stamp records and count rate windows (Marketo's 100 calls in 20 s) with the latest time seen,
 * as they did on the shared clock when they ran in the runtime's process.
 */
export const VIRTUAL_NOW_HEADER = 'x-bench-virtual-now';

/** What the simulated systems saw in one measurement: calls by system, Marketo's kinds and refusals, the digests' and the recall's checks. */
export interface LeadsSystemsReport {
  calls: Record<string, number>;
  marketo: { identity: number; leadWrites: number; other: number; refused: { '606': number; '607': number; '615': number }; peakInFlight: number };
  emails: { toPartners: number; other: number; partnersWithLeads: number; leadsMissing: number; leadsTwice: number; leadsMisdirected: number };
  recall: { recalledInPrm: number; stillSuspendedInMarketo: number } | null;
}
