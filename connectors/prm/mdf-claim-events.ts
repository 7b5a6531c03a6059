import { defineEvent } from '../kit/define-connector.ts';
import { PrmMdfClaim } from './prm-records.ts';

/**
 * Claim events the PRM's outbound calls deliver to `POST /webhooks/prm` (docs/systems.md, Webhooks from
 * the PRM). Their data is the claim record as the PRM sends it (camelCase, extra fields kept). Runs
 * correlate on the claim's MDF number, which ties a claim to its request (D14: a claim stops the
 * reminders) and to the Salesforce Funds Claim (D1).
 */
export const mdfClaimSubmitted = defineEvent({
  description: 'A partner submitted an MDF claim (Claim Approval Status Open).',
  data: PrmMdfClaim,
  correlate: (claim) => claim.mdfNumber,
});

export const mdfClaimChanged = defineEvent({
  description: 'An MDF claim changed in the PRM: its status (approved, denied, paid), Missing POP, purchase order number or another field.',
  data: PrmMdfClaim,
  correlate: (claim) => claim.mdfNumber,
});
