import { ValidationError } from '../kit/http-errors.ts';
import { SmtpSendError } from './smtp-client.ts';

/**
 * The provider refused this message for good: the email API's 400, 409 or 422 (Postmark: 406, a
 * recipient it marked inactive after a hard bounce or a spam complaint; 300, an address it does not
 * accept), or an SMTP relay's 5xx reply to the recipients or to the data. Sending it again gets the
 * same answer, so it is not retryable: the step fails at once, without spending its retry budget, and
 * its `on_error` runs (a recipe names it as `$error.name = 'EmailRefusedError'`). The message is the
 * provider's answer, unchanged. A 401 or 403 (our token) and a relay refusing the login are not this:
 * they refuse every message, not this one.
 */
export class EmailRefusedError extends Error {
  override name = 'EmailRefusedError';
  readonly retryable = false;
  readonly system = 'email';
  /** The HTTP status of the API's refusal (422), or null for an SMTP reply (see `smtpCode`). */
  readonly status: number | null;
  readonly smtpCode: number | null;
  constructor(cause: ValidationError | SmtpSendError) {
    super(cause.message, { cause });
    this.status = cause instanceof ValidationError ? cause.status : null;
    this.smtpCode = cause instanceof SmtpSendError ? cause.smtpCode : null;
  }
}

/** The refusal for good of this message that a failed send is, or undefined when it is another failure. */
export function refusedForGood(error: unknown): EmailRefusedError | undefined {
  if (error instanceof ValidationError && error.system === 'email') return new EmailRefusedError(error);
  if (error instanceof SmtpSendError && !error.retryable && error.smtpCode !== null && (error.stage === 'envelope' || error.stage === 'answer')) return new EmailRefusedError(error);
  return undefined;
}
