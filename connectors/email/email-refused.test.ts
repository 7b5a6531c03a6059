import { describe, expect, it } from 'vitest';
import { AuthError, ServerError, ValidationError } from '../kit/http-errors.ts';
import { refusedForGood } from './email-refused.ts';
import { SmtpSendError } from './smtp-client.ts';

/** Which failed sends are a refusal of this message for good (not retried; a recipe's on_error runs at once, D24). */
describe('refusedForGood', () => {
  const http = { system: 'email', method: 'POST', url: 'https://api.example/email' };

  it('is the email API\'s 422 and an SMTP relay\'s 5xx to the recipient or the data, in their own words', () => {
    const api = refusedForGood(new ValidationError({ ...http, status: 422, code: '406', systemMessage: 'marked as inactive' }));
    expect(api).toMatchObject({ name: 'EmailRefusedError', retryable: false, status: 422, message: 'email POST /email answered 422: 406: marked as inactive' });
    const rcpt = refusedForGood(new SmtpSendError('email: the SMTP relay r:587 failed while giving the sender and recipients: it answered "550 5.1.1 Mailbox unknown"', 'envelope', 550, false, false));
    expect(rcpt).toMatchObject({ name: 'EmailRefusedError', smtpCode: 550, message: expect.stringContaining('550 5.1.1 Mailbox unknown') });
    expect(refusedForGood(new SmtpSendError('554 spam', 'answer', 554, true, false))).toMatchObject({ name: 'EmailRefusedError' });
  });

  it('is not a failure another attempt may get past, nor one that refuses every message (our token, our login)', () => {
    expect(refusedForGood(new SmtpSendError('451 try later', 'envelope', 451, false, true))).toBeUndefined();
    expect(refusedForGood(new SmtpSendError('535 bad login', 'auth', 535, false, false))).toBeUndefined();
    expect(refusedForGood(new SmtpSendError('no answer', 'answer', null, true, true))).toBeUndefined();
    expect(refusedForGood(new ServerError({ ...http, status: 500 }))).toBeUndefined();
    expect(refusedForGood(new AuthError({ ...http, status: 401 }))).toBeUndefined();
    // Another system's 422 is that system's matter, not an email refusal.
    expect(refusedForGood(new ValidationError({ ...http, system: 'prm', status: 422 }))).toBeUndefined();
  });
});
