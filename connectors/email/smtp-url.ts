import { z } from 'zod';

/** An SMTP relay as EMAIL_SMTP_URL names it. */
export interface SmtpRelay {
  host: string;
  port: number;
  /** `smtps://`: TLS from the first byte (port 465). `smtp://`: STARTTLS when the relay offers it (port 587). */
  secure: boolean;
  /** The AUTH user, when the URL has one; its password is EMAIL_SMTP_PASSWORD. */
  user: string | undefined;
  /** A relay on this machine (127.0.0.0/8, ::1, localhost): the only one a password may go to without TLS. */
  loopback: boolean;
}

/**
 * EMAIL_SMTP_URL: `smtp://[user@]host[:port]` or `smtps://…`. The password is refused here (it goes in
 * EMAIL_SMTP_PASSWORD, a secret), so the URL itself can be shown in errors and logs. Messages never
 * echo the value.
 */
export const SmtpUrl = z.string().check((ctx) => {
  const refuse = (message: string) => ctx.issues.push({ code: 'custom', message, input: ctx.value });
  const problem = smtpUrlProblem(ctx.value);
  if (problem) refuse(problem);
});

/** The port as written after the host (`smtp://[user[:password]@]host:<port>`), when there is one. */
const WRITTEN_PORT = /^smtps?:\/\/(?:[^/?#@]*@)?(?:\[[^\]/?#]*\]|[^:/?#@[\]]*):([^/?#]*)/i;

function smtpUrlProblem(value: string): string | undefined {
  // The WHATWG URL parser refuses a port above 65535 as it refuses garbage: say which part is wrong.
  const port = WRITTEN_PORT.exec(value)?.[1];
  if (port !== undefined && port !== '' && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65_535)) {
    return `the port "${port}" is not a port number (1 to 65535), e.g. smtp://partnerflow@smtp.vendor.example:587 (587 for smtp://, 465 for smtps://)`;
  }
  if (!URL.canParse(value)) return 'an smtp:// or smtps:// URL, e.g. smtp://partnerflow@smtp.vendor.example:587';
  const url = new URL(value);
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') return 'must start with smtp:// (STARTTLS when offered) or smtps:// (TLS), e.g. smtp://partnerflow@smtp.vendor.example:587';
  if (!url.hostname) return 'must name the relay host, e.g. smtp://partnerflow@smtp.vendor.example:587';
  if (url.password) return 'must not contain the password: put it in EMAIL_SMTP_PASSWORD, a secret that is never logged (the URL may be)';
  if (url.search || url.hash || (url.pathname !== '' && url.pathname !== '/')) return 'must be smtp://[user@]host[:port] only, without a path, query or fragment';
  return undefined;
}

/** The relay of a URL SmtpUrl accepted. */
export function smtpRelayOf(value: string): SmtpRelay {
  const problem = smtpUrlProblem(value);
  if (problem) throw new Error(`EMAIL_SMTP_URL: ${problem}`);
  const url = new URL(value);
  const secure = url.protocol === 'smtps:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    host,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    user: url.username ? decodeURIComponent(url.username) : undefined,
    loopback: host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host),
  };
}
