import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../server/engine/clock.ts';
import type { Store } from '../../server/store/store.ts';
import { useSimulatedSystems } from '../../test/support/simulated-systems-fixture.ts';
import type { SmtpRelay } from '../../test/support/smtp-relay.ts';
import { openSmtpSenderSetup, type SmtpSenderSetup } from '../../test/support/smtp-sender-setup.ts';
import { testDeps, type CapturingLogger } from '../kit/action-test-context.ts';
import { EMAIL_MOCK_CONFIG, EmailConfig } from './email-config.ts';
import type { OutgoingEmail } from './email-connection.ts';
import { emailConnector } from './index.ts';
import type { OutboxSender } from './outbox-sender.ts';

/**
 * The follow-up of a message an SMTP relay took for some recipients and deferred for others (4xx) is
 * sent by the step's retry, 5 minutes later at the earliest. Ops may switch the transport meanwhile
 * (EMAIL_SMTP_URL to EMAIL_API_URL, a restart): the follow-up then goes through the email API, and
 * must still reach only the deferred recipients; those who got the message over SMTP never get a
 * second copy. The email API here is the simulated one (its mailbox), the relay a real SMTP server.
 */
const FROM = 'Partner Marketing <mdf@vendor.example>';
const KEY = 'run_x:ask_approver';
const APPROVER = 'cmm.emea@vendor.example';
const LEAD = 'marketing.lead.emea@vendor.example';
const CC = 'finance@vendor.example';
const clock = new VirtualClock('2026-04-20T09:00:00Z');
const systems = useSimulatedSystems(clock);
let store: Store;
let log: CapturingLogger;
let relay: SmtpRelay;
let overSmtp: () => OutboxSender;
let setup: SmtpSenderSetup;

beforeEach(async () => {
  clock.set('2026-04-20T09:00:00Z');
  ({ store, log, relay, sender: overSmtp } = setup = await openSmtpSenderSetup(FROM, clock));
});
afterEach(() => setup.close());

/** The email connection after the switch: the same store, the email API instead of the relay. */
const overApi = (): OutboxSender => emailConnector.connect(EmailConfig.parse({ ...EMAIL_MOCK_CONFIG, from: FROM }), { ...testDeps(clock, log), store }) as OutboxSender;

const email = (to: string[]): OutgoingEmail => ({
  key: KEY,
  runId: null,
  to,
  cc: [CC],
  tag: 'mdf-approval-request',
  rendered: { subject: 'MDF approval needed: MDF-1001', text: 'Approve 12,500 USD?', html: '<p>Approve 12,500 USD?</p>' },
});

/** Every copy each address received, over SMTP (the relay's envelopes) and over the API (its mailbox). */
function copiesBy(address: string): { smtp: number; api: number } {
  return {
    smtp: relay.messages.filter((m) => m.envelope.to.includes(address)).length,
    api: systems.email.messages().filter((m) => [...m.to, ...m.cc, ...(m.bcc ?? [])].includes(address)).length,
  };
}

describe('the follow-up for deferred recipients, after the transport was switched from SMTP to the email API', () => {
  it('goes only to the deferred approver, who gets one copy; the Cc who got it over SMTP gets no second copy', async () => {
    relay.behaviour = { refuseRecipients: { code: 451, message: '4.7.1 Greylisted, try again later', address: APPROVER } };
    await expect(overSmtp().send(email([APPROVER]))).rejects.toMatchObject({ name: 'EmailDeferredError' });
    expect(copiesBy(CC)).toEqual({ smtp: 1, api: 0 });

    // Ops switch to the email API; the step's retry sends the follow-up through it.
    const sent = await overApi().send(email([APPROVER]));
    expect(sent).toMatchObject({ alreadySent: false });
    expect(systems.email.messages()).toEqual([expect.objectContaining({ to: [APPROVER], cc: [], subject: 'MDF approval needed: MDF-1001', text: 'Approve 12,500 USD?' })]);
    expect(copiesBy(APPROVER)).toEqual({ smtp: 0, api: 1 });
    expect(copiesBy(CC)).toEqual({ smtp: 1, api: 0 });
    expect(await store.getOutbox(`${KEY}#deferred`)).toMatchObject({ status: 'sent', providerMessageId: sent.messageId });

    // Any later attempt sends nothing, over either transport.
    expect(await overApi().send(email([APPROVER]))).toEqual({ messageId: sent.messageId, alreadySent: true });
    expect(await overSmtp().send(email([APPROVER]))).toEqual({ messageId: sent.messageId, alreadySent: true });
    expect(systems.email.messages()).toHaveLength(1);
    expect(relay.messages).toHaveLength(1);
  });

  it('a deferred recipient only in Cc is addressed in To (the API needs one there), still alone', async () => {
    relay.behaviour = { refuseRecipients: { code: 450, message: '4.2.2 Mailbox full', address: CC } };
    await expect(overSmtp().send(email([APPROVER]))).rejects.toMatchObject({ name: 'EmailDeferredError' });
    await overApi().send(email([APPROVER]));
    expect(systems.email.messages()).toEqual([expect.objectContaining({ to: [CC], cc: [] })]);
    expect(copiesBy(APPROVER)).toEqual({ smtp: 1, api: 0 });
    expect(copiesBy(CC)).toEqual({ smtp: 0, api: 1 });
  });

  it('a follow-up deferred again in part over SMTP: its own follow-up, sent through the API after the switch, reaches only the one still deferred', async () => {
    // Approver and regional lead greylisted; the Cc gets it.
    relay.behaviour = { refuseRecipients: { code: 451, message: '4.7.1 Greylisted', address: [APPROVER, LEAD] } };
    await expect(overSmtp().send(email([APPROVER, LEAD]))).rejects.toMatchObject({ name: 'EmailDeferredError' });
    // The retry over SMTP: the lead gets the follow-up, the approver is deferred again.
    relay.behaviour = { refuseRecipients: { code: 451, message: '4.7.1 Greylisted', address: APPROVER } };
    await expect(overSmtp().send(email([APPROVER, LEAD]))).rejects.toMatchObject({ name: 'EmailDeferredError', followUpKey: `${KEY}#deferred#deferred` });
    expect(await store.getOutbox(`${KEY}#deferred#deferred`)).toMatchObject({ status: 'pending', message: { followUp: { of: KEY, recipients: [APPROVER] } } });

    // Switched to the API: the approver alone gets it, once.
    await overApi().send(email([APPROVER, LEAD]));
    expect(systems.email.messages()).toEqual([expect.objectContaining({ to: [APPROVER], cc: [] })]);
    expect([APPROVER, LEAD, CC].map(copiesBy)).toEqual([
      { smtp: 0, api: 1 },
      { smtp: 1, api: 0 },
      { smtp: 1, api: 0 },
    ]);
  });

  it('a follow-up the API fails (a 500: asked for at the next attempt) then refuses (422) stays pending and fails the step; its retry sends it to the deferred approver once, nobody else', async () => {
    relay.behaviour = { refuseRecipients: { code: 451, message: '4.7.1 Greylisted', address: APPROVER } };
    await expect(overSmtp().send(email([APPROVER]))).rejects.toMatchObject({ name: 'EmailDeferredError' });
    systems.faults.inject({ system: 'email', kind: 'server_error', method: 'POST' });
    // A 500 may follow an acceptance: the follow-up stays `sending`, and the retry asks the API first.
    await expect(overApi().send(email([APPROVER]))).rejects.toThrow();
    systems.faults.inject({ system: 'email', kind: 'refused', to: APPROVER });
    clock.advance(3 * 60_000);
    await expect(overApi().send(email([APPROVER]))).rejects.toMatchObject({ status: 422 });
    expect(await store.getOutbox(`${KEY}#deferred`)).toMatchObject({ status: 'pending' });
    expect(systems.email.messages()).toEqual([]);

    await overApi().send(email([APPROVER]));
    expect(systems.email.messages()).toEqual([expect.objectContaining({ to: [APPROVER], cc: [] })]);
    expect(copiesBy(CC)).toEqual({ smtp: 1, api: 0 });
  });
});
