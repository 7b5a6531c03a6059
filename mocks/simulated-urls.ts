/**
 * Where the simulated systems live, and the credentials they accept. The hosts use the reserved `.test`
 * top-level domain, so a request that escapes the interceptor can never reach a real system.
 */
export const SIMULATED_URLS = {
  /** The PRM objects API base (Impartner-style): `<prm>/<Object>/<id>`. */
  prm: 'https://prm.partnerflow.test/api/objects/v1',
  /** Salesforce's login host: `POST <salesforceLogin>/services/oauth2/token`. */
  salesforceLogin: 'https://login.salesforce.partnerflow.test',
  /** The org's own host, handed out as `instance_url` by the token endpoint: API calls go here. */
  salesforceInstance: 'https://partnerflow-dev.my.salesforce.partnerflow.test',
  /** The Postmark-style email API: `POST <email>/email`, `GET <email>/messages/outbound`. */
  email: 'https://email.partnerflow.test',
} as const;

/**
 * The credentials the simulated systems accept: the same values as the connectors' mock configs
 * (PRM_MOCK_CONFIG, SALESFORCE_MOCK_CONFIG) and the email connector's mock settings.
 */
export const SIMULATED_CREDENTIALS = {
  prm: { apiKey: 'mock-prm-key', tenantId: '1' },
  salesforce: { clientId: 'mock-client', clientSecret: 'mock-secret' },
  email: { serverToken: 'mock-email-token' },
} as const;
