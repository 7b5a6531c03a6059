const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const CHECKSUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/**
 * Makes record Ids the way Salesforce shapes them: a 3-character key prefix for the object, a pod part,
 * a counter, and the 3-character case-safe suffix that turns the 15-character Id into 18.
 */
export class SalesforceIds {
  #counter = 0;

  next(keyPrefix: string): string {
    this.#counter += 1;
    let n = this.#counter;
    let digits = '';
    for (let i = 0; i < 8; i++) {
      digits = BASE62[n % 62]! + digits;
      n = Math.floor(n / 62);
    }
    return toCaseSafeId(`${keyPrefix.slice(0, 3).padEnd(3, '0')}5g00${digits}`);
  }

  reset(): void {
    this.#counter = 0;
  }
}

/** The 18-character form of a 15- or 18-character Id (the suffix encodes which letters are upper case). */
function toCaseSafeId(id: string): string {
  const base = id.slice(0, 15);
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = base[chunk * 5 + i] ?? '';
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    suffix += CHECKSUM[bits];
  }
  return base + suffix;
}

/** Whether this looks like a record Id: 15 or 18 letters and digits. */
export function isSalesforceId(value: unknown): value is string {
  return typeof value === 'string' && /^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(value);
}
