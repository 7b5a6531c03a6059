import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { smtpRelayOf, SmtpUrl } from './smtp-url.ts';

/** EMAIL_SMTP_TLS_CA: a readable PEM file holding at least one certificate. Checked at start, not at the first send. */
const PemFile = z.string().min(1).check((ctx) => {
  let text: string;
  try {
    text = readFileSync(ctx.value, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    ctx.issues.push({ code: 'custom', input: ctx.value, message: `cannot read ${ctx.value} (${typeof code === 'string' ? code : (error as Error).message}): the PEM file of the CA that signed the relay's certificate` });
    return;
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    ctx.issues.push({ code: 'custom', input: ctx.value, message: `${ctx.value} holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the CA certificate that signed the relay's certificate` });
  }
});

/** EMAIL_SMTP_TLS_INSECURE_SKIP_VERIFY: `true` or `false` (a boolean in a configuration given as an object). */
const Flag = z
  .union([z.boolean(), z.string()])
  .check((ctx) => {
    if (typeof ctx.value === 'string' && ctx.value !== 'true' && ctx.value !== 'false') {
      ctx.issues.push({ code: 'custom', input: ctx.value, message: 'true or false' });
    }
  })
  .transform((value) => value === true || value === 'true');

/**
 * The email connector's settings, read from the environment (EMAIL_ENV). Email goes out through
 * exactly one transport: a Postmark-style HTTP API (EMAIL_API_URL and EMAIL_SERVER_TOKEN) or an SMTP
 * relay (EMAIL_SMTP_URL, and EMAIL_SMTP_PASSWORD when the URL names a user).
 */
const EmailFields = z.object({
  /** Base URL of the Postmark-style transactional API (`POST <apiUrl>/email`). */
  apiUrl: z.url({ protocol: /^https?$/ }).optional().describe('Base URL of the transactional email API, e.g. https://api.postmarkapp.com'),
  /** Secret: sent only in the X-Postmark-Server-Token header, never logged. */
  serverToken: z.string().min(1).optional().describe('Server token of the email API (secret)'),
  /** The SMTP relay, `smtp://[user@]host[:port]` or `smtps://…`, without the password. */
  smtpUrl: SmtpUrl.optional().describe('SMTP relay, e.g. smtp://partnerflow@smtp.vendor.example:587 (smtps:// for TLS from the start)'),
  /** Secret: the SMTP AUTH password of the URL's user, handed only to the AUTH command, never logged. */
  smtpPassword: z.string().min(1).optional().describe('Password of the SMTP user (secret)'),
  /** A PEM file of the CA that signed the relay's certificate (a private CA, a self-signed certificate): trusted besides the system's CAs. */
  smtpTlsCa: PemFile.optional().describe('PEM file of the CA that signed the SMTP relay’s certificate'),
  /** The name the relay's certificate carries, when EMAIL_SMTP_URL reaches it by another (an IP address, an internal alias). */
  smtpTlsServername: z.string().min(1).regex(/^[A-Za-z0-9.-]+$/, 'a host name, e.g. smtp.vendor.example').optional().describe('Host name the SMTP relay’s certificate is checked against'),
  /** Accept any certificate from the relay: no protection against someone in between. Logged at warn at start. @default false */
  smtpTlsInsecureSkipVerify: Flag.optional().describe('true: do not check the SMTP relay’s TLS certificate (insecure)'),
  /** The sender every notification goes out as, e.g. `Partner Marketing <mdf@vendor.example>`. */
  from: z.string().min(3).regex(/<?[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+>?$/, 'an address such as Partner Marketing <mdf@vendor.example>').describe('From address'),
  /** Where `<template>.txt` files live. @default ./recipes/email-templates */
  templatesDir: z.string().min(1).default('./recipes/email-templates').describe('Folder of the email templates'),
  /** Postmark message stream. @default outbound */
  messageStream: z.string().min(1).default('outbound').describe('Message stream of the email API'),
});

const API = 'EMAIL_API_URL and EMAIL_SERVER_TOKEN (an HTTP email API)';
const SMTP = 'EMAIL_SMTP_URL (an SMTP relay)';

/**
 * Exactly one transport. Checked even when another field failed (`when`), so that "nothing set" names
 * the API's variables: they are what a deployment without any EMAIL_ variable is told to set
 * (server/config.ts, "not configured"), and the message says SMTP is the other way.
 */
export const EmailConfig = EmailFields.check(
  z.superRefine((c: Partial<z.output<typeof EmailFields>> | undefined, ctx) => {
    // `when` runs this also for input that is no object at all, which the object check refused.
    if (typeof c !== 'object' || c === null) return;
    const issue = (path: keyof typeof EMAIL_ENV, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const api = c.apiUrl !== undefined || c.serverToken !== undefined;
    const smtp = c.smtpUrl !== undefined || c.smtpPassword !== undefined;
    if (api && smtp) {
      // In mock mode the API is the simulated one, which the user never set: naming it would puzzle.
      const simulated = c.apiUrl === EMAIL_MOCK_CONFIG.apiUrl && c.serverToken === EMAIL_MOCK_CONFIG.serverToken;
      const smtpVariables = (['smtpUrl', 'smtpPassword'] as const).filter((key) => c[key] !== undefined).map((key) => EMAIL_ENV[key]).join(' and ');
      issue('smtpUrl', simulated ? `mock mode sends email to the simulated email API, not to an SMTP relay: unset ${smtpVariables}, or start without --mock` : `set either ${API} or ${SMTP}, not both`);
      return;
    }
    for (const key of ['smtpTlsCa', 'smtpTlsServername', 'smtpTlsInsecureSkipVerify'] as const) {
      if (c[key] !== undefined && c.smtpUrl === undefined) issue(key, `applies to an SMTP relay only: set ${SMTP}, or unset ${EMAIL_ENV[key]}`);
    }
    if (c.smtpTlsCa !== undefined && c.smtpTlsInsecureSkipVerify === true) {
      issue('smtpTlsInsecureSkipVerify', 'set EMAIL_SMTP_TLS_CA (the certificate is checked against that CA) or EMAIL_SMTP_TLS_INSECURE_SKIP_VERIFY (nothing is checked), not both');
    }
    if (!smtp) {
      if (c.apiUrl === undefined) issue('apiUrl', `required by the email connector: set ${API}, or ${SMTP} instead`);
      if (c.serverToken === undefined) issue('serverToken', `required with EMAIL_API_URL: the email API's server token${c.apiUrl === undefined ? `; or set ${SMTP} instead` : ''}`);
      return;
    }
    if (c.smtpUrl === undefined) {
      issue('smtpUrl', 'required with EMAIL_SMTP_PASSWORD: the relay, smtp://user@host:port');
      return;
    }
    let user: string | undefined;
    try {
      user = smtpRelayOf(c.smtpUrl).user;
    } catch {
      return; // SmtpUrl reported it.
    }
    if (user !== undefined && c.smtpPassword === undefined) issue('smtpPassword', `required: EMAIL_SMTP_URL logs in as the user "${user}"`);
    if (user === undefined && c.smtpPassword !== undefined) issue('smtpPassword', 'EMAIL_SMTP_URL names no user to log in as (smtp://user@host:port): add the user, or unset the password');
  }, { when: () => true }),
);
export type EmailConfig = z.infer<typeof EmailConfig>;

export const EMAIL_ENV = {
  apiUrl: 'EMAIL_API_URL',
  serverToken: 'EMAIL_SERVER_TOKEN',
  smtpUrl: 'EMAIL_SMTP_URL',
  smtpPassword: 'EMAIL_SMTP_PASSWORD',
  smtpTlsCa: 'EMAIL_SMTP_TLS_CA',
  smtpTlsServername: 'EMAIL_SMTP_TLS_SERVERNAME',
  smtpTlsInsecureSkipVerify: 'EMAIL_SMTP_TLS_INSECURE_SKIP_VERIFY',
  from: 'EMAIL_FROM',
  templatesDir: 'EMAIL_TEMPLATES_DIR',
  messageStream: 'EMAIL_MESSAGE_STREAM',
} as const;

/** The simulated provider (mocks/README.md) used by `serve --mock` and the harness. */
export const EMAIL_MOCK_CONFIG: z.input<typeof EmailConfig> & { apiUrl: string; serverToken: string } = {
  apiUrl: 'https://email.partnerflow.test',
  serverToken: 'mock-email-token',
  from: 'Partner Marketing <mdf@partnerflow.example>',
};
