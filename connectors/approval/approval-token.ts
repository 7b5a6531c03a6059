import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Approval link tokens. A token is never stored anywhere, not even in the outbox while its email waits
 * to be sent: it is derived when needed, HMAC-SHA256(server secret, approval id), and the store keeps
 * only the approval's random id and the token's SHA-256 (to find the approval by the token). A copy of
 * the database (file, WAL, backup) therefore holds no working link; the secret lives only in the
 * process's environment (APPROVAL_LINK_SECRET). Base64url of 32 bytes keeps it URL-safe, 43 characters.
 */
export function approvalTokenFor(secret: string, approvalId: string): string {
  return createHmac('sha256', secret).update(`approval-link:${approvalId}`).digest('base64url');
}

/** A fresh approval id: random, so that ids of two databases sharing a secret never yield one token. */
export function newApprovalId(): string {
  return `apr_${randomBytes(16).toString('base64url')}`;
}

export function hashApprovalToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Whether `token` is the one the current secret derives for `approvalId`, compared in constant time.
 * The store found the approval by the token's hash already; recomputing proves the link was made with
 * the secret the runtime holds now, so replacing a leaked secret kills every link made with it.
 */
export function tokenMatches(secret: string, approvalId: string, token: string): boolean {
  const expected = Buffer.from(approvalTokenFor(secret, approvalId));
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Tokens are exactly 43 base64url characters; anything else is refused before touching the store. */
export function isWellFormedToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}

/**
 * The secret mock mode and tests derive links with: fixed, so links keep working when a mock runtime
 * restarts on the same database. A random secret made at first start would have to be stored to
 * survive a restart, and a stored secret is a stored link. Never accepted outside mock mode.
 */
export const MOCK_APPROVAL_LINK_SECRET = 'mock-approval-link-secret-only-for-mock-mode';
