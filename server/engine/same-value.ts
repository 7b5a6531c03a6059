/** An email address as a table or an event may write it: something@something. */
const EMAIL = /^[^\s@]+@[^\s@]+$/;

/**
 * Whether a table cell equals the value a `lookup` looks for (its `where` given as column values).
 * Email addresses are equal whatever their letter case (D9: the approver `cmm.emea@vendor.example` is
 * the one a row writes `Cmm.Emea@Vendor.example`); everything else must be strictly equal.
 */
export function sameValue(cell: unknown, wanted: unknown): boolean {
  if (cell === wanted) return true;
  return typeof cell === 'string' && typeof wanted === 'string' && EMAIL.test(cell) && EMAIL.test(wanted) && cell.toLowerCase() === wanted.toLowerCase();
}
