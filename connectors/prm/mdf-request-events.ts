import { defineEvent } from '../kit/define-connector.ts';
import { PrmMdfRequest } from './prm-records.ts';

/**
 * Events the PRM's outbound calls deliver to `POST /webhooks/prm`. Their data is the MDF request record
 * as the PRM sends it (camelCase, extra fields kept); runs correlate on its MDF number.
 */
export const mdfRequestSubmitted = defineEvent({
  description: 'A partner submitted an MDF request (status Open).',
  data: PrmMdfRequest,
  correlate: (request) => request.mdfNumber,
});

export const mdfRequestStatusChanged = defineEvent({
  description: 'An MDF request\'s status changed in the PRM (approved, denied, canceled by ops, closed).',
  data: PrmMdfRequest,
  correlate: (request) => request.mdfNumber,
});

/** A field other than the status changed, such as the end date the claim reminders follow (D14). */
export const mdfRequestChanged = defineEvent({
  description: 'An MDF request changed in the PRM other than by its status (e.g. ops moved the activity\'s end date).',
  data: PrmMdfRequest,
  correlate: (request) => request.mdfNumber,
});
