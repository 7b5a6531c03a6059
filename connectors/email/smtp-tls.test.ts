import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../index.ts';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { openSqliteStore } from '../../server/store/sqlite-store.ts';
import type { Store } from '../../server/store/store.ts';
import { SmtpRelay } from '../../test/support/smtp-relay.ts';
import { capturingLogger, testDeps, type CapturingLogger } from '../kit/action-test-context.ts';
import type { OutgoingEmail } from './email-connection.ts';
import { emailConnector } from './index.ts';
import type { OutboxSender } from './outbox-sender.ts';

/**
 * D7, D10 (partners and approvers get their emails) through an SMTP relay that offers STARTTLS with a
 * certificate of a private CA, for relay.vendor.example: a real SMTP server on loopback. A certificate
 * that does not verify is a configuration problem, not a passing one: the step fails at once (not
 * retried for hours) saying which setting to use; with the CA (EMAIL_SMTP_TLS_CA) and the name
 * (EMAIL_SMTP_TLS_SERVERNAME) the email goes out over TLS, once.
 */
const TLS_DIR = join(import.meta.dirname, '../../test/fixtures/smtp-tls');
const CA = join(TLS_DIR, 'ca.pem');
const FROM = 'Partner Marketing <mdf@acme.test>';
const BASE = { PUBLIC_BASE_URL: 'https://partnerflow.acme.test', PARTNERFLOW_API_TOKEN: 'api-token-0123456789', APPROVAL_LINK_SECRET: 'approval-link-secret-0123456789-abcdef', EMAIL_FROM: FROM };
const clock = new VirtualClock('2026-04-20T09:00:00Z');
let store: Store;
let log: CapturingLogger;
let relay: SmtpRelay;

beforeEach(async () => {
  store = await openSqliteStore({ path: ':memory:' });
  log = capturingLogger();
  relay = await SmtpRelay.start({ tls: { key: readFileSync(join(TLS_DIR, 'relay-key.pem'), 'utf8'), cert: readFileSync(join(TLS_DIR, 'relay-cert.pem'), 'utf8') } });
});
afterEach(async () => {
  await relay.close();
  await store.close();
});

/** The email connection as the runtime builds it from these variables (loadConfig, then connect). */
function sender(env: Record<string, string>): OutboxSender {
  const config = loadConfig({ ...BASE, EMAIL_SMTP_URL: `smtp://127.0.0.1:${relay.port}`, ...env }, { mock: false, connectors: CONNECTORS });
  return emailConnector.connect(config.connectors.email as never, { ...testDeps(clock, log), store }) as OutboxSender;
}

function emailProblems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...BASE, ...env }, { mock: false, connectors: CONNECTORS });
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.filter((p) => p.startsWith('EMAIL_'));
  }
}

const email: OutgoingEmail = { key: 'run_x:confirm', runId: null, to: ['marketing@northwind.example'], tag: 'request-received', rendered: { subject: 'MDF request received', text: 'Thanks.', html: '<p>Thanks.</p>' } };

describe('SMTP over STARTTLS with a certificate of a private CA', () => {
  it('without EMAIL_SMTP_TLS_CA: fails at once, not retryable, naming the setting; nothing sent, the message stays pending', async () => {
    const error = await sender({}).send(email).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SmtpSendError', stage: 'connect', retryable: false });
    expect((error as Error).message).toMatch(/^email: the SMTP relay 127\.0\.0\.1:\d+ failed while connecting: .*\[(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\]: the relay’s TLS certificate is not signed by a CA this machine trusts \(a private CA, a self-signed certificate\): set EMAIL_SMTP_TLS_CA to the PEM file of the CA that signed it; retrying does not help$/);
    expect(relay.dataReceived).toBe(0);
    expect(await store.getOutbox(email.key)).toMatchObject({ status: 'pending', lastError: (error as Error).message });
  });

  it('with the CA but the relay reached by an address its certificate does not name: says to set EMAIL_SMTP_TLS_SERVERNAME', async () => {
    const error = await sender({ EMAIL_SMTP_TLS_CA: CA }).send(email).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SmtpSendError', retryable: false });
    expect((error as Error).message).toContain('[ERR_TLS_CERT_ALTNAME_INVALID]: the relay’s certificate is for another name: set EMAIL_SMTP_TLS_SERVERNAME to the name it carries');
    expect(relay.dataReceived).toBe(0);
  });

  it('with EMAIL_SMTP_TLS_CA and EMAIL_SMTP_TLS_SERVERNAME: delivered once, over TLS, and no warning', async () => {
    const sent = await sender({ EMAIL_SMTP_TLS_CA: CA, EMAIL_SMTP_TLS_SERVERNAME: 'relay.vendor.example' }).send(email);
    expect(sent.alreadySent).toBe(false);
    expect(relay.messages.map((m) => ({ to: m.envelope.to, tls: m.tls, subject: m.headers.subject }))).toEqual([{ to: ['marketing@northwind.example'], tls: true, subject: 'MDF request received' }]);
    expect(await store.getOutbox(email.key)).toMatchObject({ status: 'sent' });
    expect(log.lines.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('with EMAIL_SMTP_TLS_INSECURE_SKIP_VERIFY=true: delivered over TLS, and the start says at warn that nothing is checked', async () => {
    const s = sender({ EMAIL_SMTP_TLS_INSECURE_SKIP_VERIFY: 'true' });
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringMatching(/^EMAIL_SMTP_TLS_INSECURE_SKIP_VERIFY=true: the SMTP relay’s TLS certificate is not checked; .* Set EMAIL_SMTP_TLS_CA/) }));
    await s.send(email);
    expect(relay.messages.map((m) => m.tls)).toEqual([true]);
  });
});

describe('the TLS settings (EMAIL_SMTP_TLS_…)', () => {
  const SMTP = { EMAIL_SMTP_URL: 'smtp://relay.internal:25' };

  it('are refused at start with a line naming the variable and what is wrong', () => {
    expect(emailProblems({ ...SMTP, EMAIL_SMTP_TLS_CA: '/nonexistent/ca.pem' })).toEqual(["EMAIL_SMTP_TLS_CA: cannot read /nonexistent/ca.pem (ENOENT): the PEM file of the CA that signed the relay's certificate"]);
    expect(emailProblems({ ...SMTP, EMAIL_SMTP_TLS_CA: join(TLS_DIR, 'README.md') })).toEqual([`EMAIL_SMTP_TLS_CA: ${join(TLS_DIR, 'README.md')} holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the CA certificate that signed the relay's certificate`]);
    expect(emailProblems({ ...SMTP, EMAIL_SMTP_TLS_INSECURE_SKIP_VERIFY: 'yes' })).toEqual(['EMAIL_SMTP_TLS_INSECURE_SKIP_VERIFY: true or false']);
    expect(emailProblems({ ...SMTP, EMAIL_SMTP_TLS_SERVERNAME: 'smtp://relay' })).toEqual(['EMAIL_SMTP_TLS_SERVERNAME: a host name, e.g. smtp.vendor.example']);
    expect(emailProblems({ ...SMTP, EMAIL_SMTP_TLS_CA: CA, EMAIL_SMTP_TLS_INSECURE_SKIP_VERIFY: 'true' })).toEqual([
      'EMAIL_SMTP_TLS_INSECURE_SKIP_VERIFY: set EMAIL_SMTP_TLS_CA (the certificate is checked against that CA) or EMAIL_SMTP_TLS_INSECURE_SKIP_VERIFY (nothing is checked), not both',
    ]);
    expect(emailProblems({ EMAIL_API_URL: 'https://api.postmarkapp.com', EMAIL_SERVER_TOKEN: 'server-token', EMAIL_SMTP_TLS_CA: CA })).toEqual([
      'EMAIL_SMTP_TLS_CA: applies to an SMTP relay only: set EMAIL_SMTP_URL (an SMTP relay), or unset EMAIL_SMTP_TLS_CA',
    ]);
  });

  it('are taken with an SMTP relay', () => {
    expect(emailProblems({ ...SMTP, EMAIL_SMTP_TLS_CA: CA, EMAIL_SMTP_TLS_SERVERNAME: 'relay.vendor.example', EMAIL_SMTP_TLS_INSECURE_SKIP_VERIFY: 'false' })).toEqual([]);
  });
});
