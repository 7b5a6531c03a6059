import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '../connectors/index.ts';
import { loadConfig } from './config.ts';

/** What a start with this PUBLIC_BASE_URL says: the configuration error's text, or the base it keeps. */
function publicBaseUrl(value: string): string {
  try {
    return loadConfig({ PUBLIC_BASE_URL: value }, { mock: true, connectors: CONNECTORS }).publicBaseUrl;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('PUBLIC_BASE_URL (approval links are built on it)', () => {
  it('refuses a query or a fragment at start, which would break every approval link', () => {
    expect(publicBaseUrl('https://partnerflow.example.com/?tenant=emea')).toContain(
      'PUBLIC_BASE_URL: must not have a query (?...): approval links append their path to it (got "https://partnerflow.example.com/?tenant=emea")',
    );
    expect(publicBaseUrl('https://partnerflow.example.com?')).toContain('PUBLIC_BASE_URL: must not have a query');
    expect(publicBaseUrl('https://partnerflow.example.com/#top')).toContain('PUBLIC_BASE_URL: must not have a fragment (#...)');
  });

  it('refuses credentials without echoing the password', () => {
    const message = publicBaseUrl('https://ops:hunter2-secret@partnerflow.example.com');
    expect(message).toContain('PUBLIC_BASE_URL: must not contain a user name or password (approval links are emailed) (got "https://***@partnerflow.example.com")');
    expect(message).not.toContain('hunter2-secret');
  });

  it('refuses a scheme other than http or https', () => {
    for (const value of ['ftp://partnerflow.example.com', 'javascript:alert(1)', 'partnerflow.example.com']) {
      expect(publicBaseUrl(value)).toContain('PUBLIC_BASE_URL: an http:// or https:// URL, e.g. https://partnerflow.example.com');
    }
  });

  it('keeps a plain base, with or without a path', () => {
    expect(publicBaseUrl('https://partnerflow.example.com/')).toBe('https://partnerflow.example.com');
    expect(publicBaseUrl('http://intranet.example.com:8080/partnerflow/')).toBe('http://intranet.example.com:8080/partnerflow');
  });
});
