import { createHash, randomBytes } from 'node:crypto';

/**
 * Approval links carry a random token of 256 bits; only its SHA-256 is stored, so a leaked database
 * does not leak working links. Base64url keeps it URL-safe.
 */
export function newApprovalToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashApprovalToken(token) };
}

export function hashApprovalToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Tokens are exactly 43 base64url characters; anything else is refused before touching the store. */
export function isWellFormedToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}
