import { z } from 'zod';
import { defineConnector } from '../kit/define-connector.ts';
import type { EmailConnection } from '../email/email-connection.ts';
import type { ApprovalConnection } from './approval-connection.ts';
import { requestApproval } from './request-approval.ts';

/**
 * Approvals by email link (D10). Built into the runtime: the decision arrives at
 * `POST /approvals/:token` and answers the run's `wait_for` signal.
 */
export const approvalConnector = defineConnector({
  name: 'approval',
  description: 'Approve or deny from an email link; the decision resumes the waiting run.',
  config: z.object({}),
  env: {},
  mockConfig: {},
  connect: (_config, deps): ApprovalConnection => ({
    publicBaseUrl: deps.publicBaseUrl.replace(/\/+$/, ''),
    timezone: deps.timezone,
    email: () => deps.connection<EmailConnection>('email'),
  }),
  actions: { request: requestApproval },
});
