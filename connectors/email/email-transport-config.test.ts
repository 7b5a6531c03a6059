import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '../index.ts';
import { ConfigError, loadConfig } from '../../server/config.ts';

/**
 * Email goes out through exactly one transport: the HTTP email API (EMAIL_API_URL, EMAIL_SERVER_TOKEN)
 * or an SMTP relay (EMAIL_SMTP_URL, EMAIL_SMTP_PASSWORD). Anything else stops the start with lines that
 * name the variables, and never echo the SMTP password.
 */
const BASE = { PUBLIC_BASE_URL: 'https://partnerflow.acme.test', PARTNERFLOW_API_TOKEN: 'api-token-0123456789', APPROVAL_LINK_SECRET: 'approval-link-secret-0123456789-abcdef' };
const FROM = { EMAIL_FROM: 'Partner Marketing <mdf@acme.test>' };

function emailProblems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...BASE, ...env }, { mock: false, connectors: CONNECTORS });
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.filter((p) => p.startsWith('EMAIL_'));
  }
}

describe('the email transport (EMAIL_API_URL or EMAIL_SMTP_URL)', () => {
  it('takes an SMTP relay with its user in the URL and the password in EMAIL_SMTP_PASSWORD', () => {
    const config = loadConfig({ ...BASE, ...FROM, EMAIL_SMTP_URL: 'smtp://partnerflow@smtp.acme.test:587', EMAIL_SMTP_PASSWORD: 'smtp-pass-7d1e' }, { mock: false, connectors: CONNECTORS });
    expect(config.connectors.email).toMatchObject({ smtpUrl: 'smtp://partnerflow@smtp.acme.test:587', smtpPassword: 'smtp-pass-7d1e' });
    expect(config.notConfigured.email).toBeUndefined();
  });

  it('takes a relay without AUTH (smtp://host), and smtps://', () => {
    expect(emailProblems({ ...FROM, EMAIL_SMTP_URL: 'smtp://relay.internal:25' })).toEqual([]);
    expect(emailProblems({ ...FROM, EMAIL_SMTP_URL: 'smtps://partnerflow@smtp.acme.test', EMAIL_SMTP_PASSWORD: 'smtp-pass-7d1e' })).toEqual([]);
  });

  it('still takes the HTTP email API as before', () => {
    expect(emailProblems({ ...FROM, EMAIL_API_URL: 'https://api.postmarkapp.com', EMAIL_SERVER_TOKEN: 'server-token' })).toEqual([]);
  });

  it('refuses both transports at once, naming the variables of each', () => {
    expect(emailProblems({ ...FROM, EMAIL_API_URL: 'https://api.postmarkapp.com', EMAIL_SERVER_TOKEN: 'server-token', EMAIL_SMTP_URL: 'smtp://relay.internal:25' })).toEqual([
      'EMAIL_SMTP_URL: set either EMAIL_API_URL and EMAIL_SERVER_TOKEN (an HTTP email API) or EMAIL_SMTP_URL (an SMTP relay), not both',
    ]);
  });

  it('with EMAIL_FROM alone, says what to set for either transport', () => {
    const problems = emailProblems(FROM);
    expect(problems).toContain('EMAIL_API_URL: required by the email connector: set EMAIL_API_URL and EMAIL_SERVER_TOKEN (an HTTP email API), or EMAIL_SMTP_URL (an SMTP relay) instead');
    expect(problems.join('\n')).toContain('EMAIL_SERVER_TOKEN');
  });

  it('with no EMAIL_ variable, the connector is not configured and names the variables as before', () => {
    const config = loadConfig(BASE, { mock: false, connectors: CONNECTORS });
    expect(config.notConfigured.email).toEqual(['EMAIL_API_URL', 'EMAIL_SERVER_TOKEN', 'EMAIL_FROM']);
  });

  it('needs the password when the URL names a user, and refuses a password without a user', () => {
    expect(emailProblems({ ...FROM, EMAIL_SMTP_URL: 'smtp://partnerflow@smtp.acme.test' })).toEqual(['EMAIL_SMTP_PASSWORD: required: EMAIL_SMTP_URL logs in as the user "partnerflow"']);
    expect(emailProblems({ ...FROM, EMAIL_SMTP_URL: 'smtp://smtp.acme.test', EMAIL_SMTP_PASSWORD: 'smtp-pass-7d1e' })[0]).toMatch(/^EMAIL_SMTP_PASSWORD: EMAIL_SMTP_URL names no user/);
    expect(emailProblems({ ...FROM, EMAIL_SMTP_PASSWORD: 'smtp-pass-7d1e' })).toEqual(['EMAIL_SMTP_URL: required with EMAIL_SMTP_PASSWORD: the relay, smtp://user@host:port']);
  });

  it('in mock mode sends to the simulated email API, and refuses EMAIL_SMTP_URL there saying so, not naming an EMAIL_API_URL nobody set', () => {
    expect(loadConfig({}, { mock: true, connectors: CONNECTORS }).connectors.email).toMatchObject({ apiUrl: 'https://email.partnerflow.test' });
    const refusal = (env: Record<string, string>) => {
      try {
        loadConfig(env, { mock: true, connectors: CONNECTORS });
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(refusal({ EMAIL_SMTP_URL: 'smtp://relay.internal:25' })).toContain(
      'EMAIL_SMTP_URL: mock mode sends email to the simulated email API, not to an SMTP relay: unset EMAIL_SMTP_URL, or start without --mock',
    );
    expect(refusal({ EMAIL_SMTP_URL: 'smtp://partnerflow@relay.internal:587', EMAIL_SMTP_PASSWORD: 'smtp-pass-7d1e' })).toContain(
      'EMAIL_SMTP_URL: mock mode sends email to the simulated email API, not to an SMTP relay: unset EMAIL_SMTP_URL and EMAIL_SMTP_PASSWORD, or start without --mock',
    );
    expect(refusal({ EMAIL_SMTP_URL: 'smtp://relay.internal:25' })).not.toContain('EMAIL_API_URL');
  });

  it('says the port is wrong when EMAIL_SMTP_URL has one that is no port number (review 5 finding 10)', () => {
    const portProblem = (port: string) => `EMAIL_SMTP_URL: the port "${port}" is not a port number (1 to 65535), e.g. smtp://partnerflow@smtp.vendor.example:587 (587 for smtp://, 465 for smtps://)`;
    expect(emailProblems({ ...FROM, EMAIL_SMTP_URL: 'smtp://pf@127.0.0.1:99999' })).toEqual([portProblem('99999')]);
    expect(emailProblems({ ...FROM, EMAIL_SMTP_URL: 'smtp://relay.internal:smtp' })).toEqual([portProblem('smtp')]);
    expect(emailProblems({ ...FROM, EMAIL_SMTP_URL: 'smtps://relay.internal:0' })).toEqual([portProblem('0')]);
    // The password is refused as before, and the port's message never echoes it.
    const withPassword = emailProblems({ ...FROM, EMAIL_SMTP_URL: 'smtp://pf:hunter2-secret@relay.internal:70000' });
    expect(withPassword).toEqual([portProblem('70000')]);
    expect(emailProblems({ ...FROM, EMAIL_SMTP_URL: 'smtp://relay.internal:2525' })).toEqual([]);
  });

  it('refuses a password inside EMAIL_SMTP_URL, and other schemes, without echoing the value', () => {
    const problems = emailProblems({ ...FROM, EMAIL_SMTP_URL: 'smtp://partnerflow:hunter2-secret@smtp.acme.test:587' });
    expect(problems).toEqual(['EMAIL_SMTP_URL: must not contain the password: put it in EMAIL_SMTP_PASSWORD, a secret that is never logged (the URL may be)']);
    expect(problems.join('\n')).not.toContain('hunter2-secret');
    expect(emailProblems({ ...FROM, EMAIL_SMTP_URL: 'https://smtp.acme.test' })[0]).toMatch(/^EMAIL_SMTP_URL: must start with smtp:\/\/ .* or smtps:\/\//);
  });
});
