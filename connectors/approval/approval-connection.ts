import type { EmailConnection } from '../email/email-connection.ts';

/** The approval connector's connection: where links point, and the email connector that sends them. */
export interface ApprovalConnection {
  publicBaseUrl: string;
  email(): EmailConnection;
}
