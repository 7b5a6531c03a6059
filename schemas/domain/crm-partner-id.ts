/**
 * CRM Partner IDs (D20): a partner's Salesforce Account Id. Salesforce shows the same record under two
 * forms: 15 characters, case-sensitive (what the UI's URLs and reports show, and what people copy into
 * a spreadsheet or a `utm_partnerid`), and 18 characters, the 15 plus a 3-character checksum of the
 * letter case, safe to compare without regard to case (what the API answers and what the PRM keeps).
 */

const CHECKSUM_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/**
 * The 18-character form of a 15-character Salesforce Id: for each block of 5 characters, a character
 * of `A-Z0-5` whose bits say which of the 5 are capital letters (Salesforce's documented algorithm).
 */
export function salesforceId18(id15: string): string {
  if (!/^[a-zA-Z0-9]{15}$/.test(id15)) throw new RangeError(`not a 15-character Salesforce Id: ${JSON.stringify(id15)}`);
  let suffix = '';
  for (let block = 0; block < 3; block++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15[block * 5 + i]!;
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    suffix += CHECKSUM_ALPHABET[bits];
  }
  return id15 + suffix;
}

/** A CRM Partner ID as it arrived, read: its 18-character form, or why it is not one. */
export type CrmPartnerIdReading = { ok: true; id18: string; given: 15 | 18 } | { ok: false; reason: string };

/**
 * Reads a CRM Partner ID from an import row or a `utm_partnerid`: 18 characters as they are, 15
 * characters expanded to 18 with the checksum (so `0015e00000ABCde` and `0015e00000ABCDE` are two
 * different partners, as in Salesforce). Surrounding spaces are ignored; anything else is refused.
 */
export function readCrmPartnerId(raw: string): CrmPartnerIdReading {
  const value = raw.trim();
  if (/^[a-zA-Z0-9]{18}$/.test(value)) return { ok: true, id18: canonicalId18(value), given: 18 };
  if (/^[a-zA-Z0-9]{15}$/.test(value)) return { ok: true, id18: salesforceId18(value), given: 15 };
  return { ok: false, reason: `CRM Partner ID ${JSON.stringify(value)} is not a Salesforce Account Id (18 characters, or the 15-character form; letters and digits only)` };
}

/**
 * An 18-character Id in the case Salesforce answers it. The 18-character form is meant to survive a
 * tool that changes letter case (a spreadsheet's UPPER()): its checksum records the case of the first
 * 15, so `0015E00000LTWREAA5` is read back as `0015e00000LTWREAA5`. An Id whose checksum fits as given,
 * or fits no casing (not a real Salesforce Id), is kept as given.
 */
export function canonicalId18(id18: string): string {
  const head = id18.slice(0, 15);
  if (salesforceId18(head) === id18) return id18;
  const suffix = id18.slice(15).toUpperCase();
  let recased = '';
  for (let block = 0; block < 3; block++) {
    const bits = CHECKSUM_ALPHABET.indexOf(suffix[block]!);
    if (bits < 0) return id18;
    for (let i = 0; i < 5; i++) {
      const c = head[block * 5 + i]!;
      recased += bits & (1 << i) ? c.toUpperCase() : c.toLowerCase();
    }
  }
  return salesforceId18(recased) === recased + suffix ? recased + suffix : id18;
}

/**
 * Whether two 18-character Ids name the same record. The 18-character form is built to be compared
 * without regard to case (the checksum encodes the case of the first 15), so a spreadsheet that
 * upper-cased it still finds the partner.
 */
export function sameCrmPartnerId(a: string, b: string): boolean {
  return a.length === 18 && b.length === 18 && a.toLowerCase() === b.toLowerCase();
}
