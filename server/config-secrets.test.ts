import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '../connectors/index.ts';
import { loadConfig, type RuntimeConfig } from './config.ts';

const PRODUCTION = {
  PUBLIC_BASE_URL: 'https://partnerflow.acme.test',
  PARTNERFLOW_API_TOKEN: 'a1b2c3d4e5f6a7b8c9d0e1f2',
  APPROVAL_LINK_SECRET: 'f0e1d2c3b4a5968778695a4b3c2d1e0f',
  WEBHOOK_SECRET_PRM: 'whsec-0123456789abcdef',
  PRM_BASE_URL: 'https://prm.acme.test/api/objects/v1',
  PRM_API_KEY: 'prm-key-0123',
  PRM_TENANT_ID: '1000',
};

/** The configuration a start outside mock mode reads from these variables, or the refusal's text. */
function start(env: Record<string, string>): RuntimeConfig | string {
  try {
    return loadConfig(env, { mock: false, connectors: CONNECTORS });
  } catch (error) {
    return (error as Error).message;
  }
}

describe('secrets read from files (a trailing newline, as echo, Kubernetes --from-file or an env file leave it)', () => {
  it('are used without the surrounding whitespace, so deliveries signed and tokens sent with the real secret are accepted', () => {
    const config = start({
      ...PRODUCTION,
      PARTNERFLOW_API_TOKEN: `${PRODUCTION.PARTNERFLOW_API_TOKEN}\n`,
      WEBHOOK_SECRET_PRM: `${PRODUCTION.WEBHOOK_SECRET_PRM}\r\n`,
      APPROVAL_LINK_SECRET: ` ${PRODUCTION.APPROVAL_LINK_SECRET}\n`,
      PRM_API_KEY: `${PRODUCTION.PRM_API_KEY}\n`,
    });
    if (typeof config === 'string') throw new Error(config);
    expect(config.apiToken).toBe(PRODUCTION.PARTNERFLOW_API_TOKEN);
    expect(config.webhookSecrets.prm).toBe(PRODUCTION.WEBHOOK_SECRET_PRM);
    expect((config.connectors.approval as { linkSecret: string }).linkSecret).toBe(PRODUCTION.APPROVAL_LINK_SECRET);
    expect((config.connectors.prm as { apiKey: string }).apiKey).toBe(PRODUCTION.PRM_API_KEY);
  });

  it('refuse a secret of whitespace only as not set, naming it', () => {
    expect(start({ ...PRODUCTION, PARTNERFLOW_API_TOKEN: ' '.repeat(16) })).toContain('PARTNERFLOW_API_TOKEN: required outside mock mode');
    expect(start({ ...PRODUCTION, PRM_API_KEY: '\n' })).toContain('PRM_API_KEY: required by the prm connector');
  });

  it('count only the secret itself towards its minimum length', () => {
    expect(start({ ...PRODUCTION, WEBHOOK_SECRET_PRM: 'short-secret\n\n\n\n\n' })).toContain('WEBHOOK_SECRET_PRM: must be at least 16 characters');
  });
});
