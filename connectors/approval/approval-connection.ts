import type { EmailConnection } from '../email/email-connection.ts';

/**
 * The approval connector's connection: where links point, the zone times are written in, the secret
 * tokens are derived with (never stored), and the email connector that sends them.
 */
export interface ApprovalConnection {
  publicBaseUrl: string;
  timezone: string;
  /** APPROVAL_LINK_SECRET: token = HMAC(secret, approval id). Only in memory. */
  linkSecret: string;
  email(): EmailConnection;
}
