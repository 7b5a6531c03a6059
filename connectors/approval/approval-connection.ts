import type { EmailConnection } from '../email/email-connection.ts';

/** The approval connector's connection: where links point, the zone their expiry is written in, and the email connector that sends them. */
export interface ApprovalConnection {
  publicBaseUrl: string;
  timezone: string;
  email(): EmailConnection;
}
