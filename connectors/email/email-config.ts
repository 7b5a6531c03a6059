import { z } from 'zod';

/** The email connector's settings, read from the environment (EMAIL_ENV). */
export const EmailConfig = z.object({
  /** Base URL of the Postmark-style transactional API (`POST <apiUrl>/email`). */
  apiUrl: z.url({ protocol: /^https?$/ }).describe('Base URL of the transactional email API, e.g. https://api.postmarkapp.com'),
  /** Secret: sent only in the X-Postmark-Server-Token header, never logged. */
  serverToken: z.string().min(1).describe('Server token of the email API (secret)'),
  /** The sender every notification goes out as, e.g. `Partner Marketing <mdf@vendor.example>`. */
  from: z.string().min(3).regex(/<?[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+>?$/, 'an address such as Partner Marketing <mdf@vendor.example>').describe('From address'),
  /** Where `<template>.txt` files live. @default ./recipes/email-templates */
  templatesDir: z.string().min(1).default('./recipes/email-templates').describe('Folder of the email templates'),
  /** Postmark message stream. @default outbound */
  messageStream: z.string().min(1).default('outbound').describe('Message stream of the email API'),
});
export type EmailConfig = z.infer<typeof EmailConfig>;

export const EMAIL_ENV = {
  apiUrl: 'EMAIL_API_URL',
  serverToken: 'EMAIL_SERVER_TOKEN',
  from: 'EMAIL_FROM',
  templatesDir: 'EMAIL_TEMPLATES_DIR',
  messageStream: 'EMAIL_MESSAGE_STREAM',
} as const;

/** The simulated provider (mocks/README.md) used by `serve --mock` and the harness. */
export const EMAIL_MOCK_CONFIG: z.input<typeof EmailConfig> = {
  apiUrl: 'https://email.partnerflow.test',
  serverToken: 'mock-email-token',
  from: 'Partner Marketing <mdf@partnerflow.example>',
};
