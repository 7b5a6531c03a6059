import { z } from 'zod';
import { smtpRelayOf, SmtpUrl } from './smtp-url.ts';

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
      issue('smtpUrl', `set either ${API} or ${SMTP}, not both`);
      return;
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
