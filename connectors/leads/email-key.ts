/**
 * The key a partner lead is matched by across the PRM, Marketo and Salesforce (D1, D25): its email,
 * trimmed, in lower case. The syncs write it so (the PRM lead's Email, the Salesforce Lead's key field),
 * so a key made here from any system's copy finds the others; one definition keeps a lead from being
 * matched one way in one file and another way in the next.
 */
export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}
