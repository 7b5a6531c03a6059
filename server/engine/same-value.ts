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

/**
 * A cell as a key: two cells have the same key exactly when a `lookup` would take one for the other
 * (sameValue): an address in lower case, anything else as written.
 */
export function valueKey(cell: unknown): string {
  const value = typeof cell === 'string' && EMAIL.test(cell) ? cell.toLowerCase() : cell;
  return value === undefined ? 'undefined' : JSON.stringify(value);
}
