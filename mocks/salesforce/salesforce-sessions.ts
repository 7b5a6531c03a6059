import { randomBytes } from 'node:crypto';

/** Salesforce's organization Id in the simulated org's tokens and identity URLs. */
export const ORG_ID = '00D5g000004PFLWEA4';
/** The integration user the client-credentials grant runs as. */
export const INTEGRATION_USER_ID = '0055g00000PFLWAPI1';
/** The person (ops, finance) whose edits in the Salesforce UI the harness's `change_salesforce` step makes. */
export const OPS_USER_ID = '0055g00000PFLWOPS1';

/**
 * The access tokens the simulated login host issued and the API still accepts. There is no expiry
 * time (the real org's session timeout counts from the last use); a token stops working when revoked,
 * which is how the `expired_token` fault simulates an expired session.
 */
export class SalesforceSessions {
  #valid = new Set<string>();

  /** A new token in Salesforce's shape: the org Id, `!`, an opaque secret. */
  issue(): string {
    const token = `${ORG_ID}!${randomBytes(48).toString('base64url')}`;
    this.#valid.add(token);
    return token;
  }

  isValid(token: string): boolean {
    return this.#valid.has(token);
  }

  /** Every session ends: the next API call with any issued token answers 401 INVALID_SESSION_ID. */
  revokeAll(): void {
    this.#valid.clear();
  }
}
