import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { mdfConnector } from './index.ts';

/** PRM_CLAIM_PORTAL_URL (D2): the claim's portal page the Funds Claim links to, checked at start. */
describe('MDF connector configuration', () => {
  const refusal = (env: Record<string, string>, mock = false): string[] => {
    try {
      loadConfig(env, { mock, connectors: [mdfConnector] });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as ConfigError).problems.filter((p) => p.startsWith('PRM_CLAIM_PORTAL_URL'));
    }
    return [];
  };
  const production = { PUBLIC_BASE_URL: 'https://partnerflow.acme.test', PARTNERFLOW_API_TOKEN: 'a-token-of-at-least-16-chars' };

  it('D2: outside mock mode, without the portal URL the mdf connector is not configured (a recipe using it stops the start); a template without {id} or not http(s) is refused naming the variable', () => {
    expect(refusal(production)).toEqual([]);
    expect(loadConfig(production, { mock: false, connectors: [mdfConnector] }).notConfigured.mdf).toEqual(['PRM_CLAIM_PORTAL_URL']);
    expect(refusal({ ...production, PRM_CLAIM_PORTAL_URL: 'https://partners.acme.test/mdf/claims' })).toEqual([
      'PRM_CLAIM_PORTAL_URL: a URL template with {id} where the claim id goes: https://<host>[:<port>]/<path with {id}> (or http://)',
    ]);
    expect(refusal({ ...production, PRM_CLAIM_PORTAL_URL: 'ftp://partners.acme.test/{id}' })).toEqual(['PRM_CLAIM_PORTAL_URL: an http:// or https:// URL: https://<host>[:<port>]/<path with {id}> (or http://)']);
    expect(refusal({ ...production, PRM_CLAIM_PORTAL_URL: 'https://partners.acme.test/mdf/claims/{id}' })).toEqual([]);
  });

  it('D2: mock mode needs none (the simulated PRM has no portal: its claim record stands in)', () => {
    expect(loadConfig({}, { mock: true, connectors: [mdfConnector] }).connectors.mdf).toEqual({ claimPortalUrl: 'https://prm.partnerflow.test/api/objects/v1/MdfClaim__co/{id}' });
  });
});
