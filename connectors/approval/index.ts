import { z } from 'zod';
import { defineConnector } from '../kit/define-connector.ts';
import type { EmailConnection } from '../email/email-connection.ts';
import type { ApprovalConnection } from './approval-connection.ts';
import { requestApproval } from './request-approval.ts';
import { MOCK_APPROVAL_LINK_SECRET } from './approval-token.ts';

/**
 * Approvals by email link (D10). Built into the runtime: the decision arrives at
 * `POST /approvals/:token` and answers the run's `wait_for` signal.
 */
export const approvalConnector = defineConnector({
  name: 'approval',
  description: 'Approve or deny from an email link; the decision resumes the waiting run.',
  config: z.object({
    /** Secret: approval tokens are HMAC(secret, approval id), derived when needed and never stored. */
    linkSecret: z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -base64 32)').describe('Secret approval link tokens are derived from'),
  }),
  env: { linkSecret: 'APPROVAL_LINK_SECRET' },
  // The HTTP layer checks approval links with it, whether or not a recipe asks for an approval.
  neededByRuntime: true,
  // Fixed, not random per process: a mock runtime restarted on its database must accept the links it
  // sent before, and a random secret would have to be stored to survive, which would store the links.
  mockConfig: { linkSecret: MOCK_APPROVAL_LINK_SECRET },
  connect: (config, deps): ApprovalConnection => ({
    publicBaseUrl: deps.publicBaseUrl.replace(/\/+$/, ''),
    timezone: deps.timezone,
    linkSecret: config.linkSecret,
    email: () => deps.connection<EmailConnection>('email'),
  }),
  actions: { request: requestApproval },
});
