import { EMAIL_MOCK_CONFIG } from '../connectors/email/email-config.ts';
import { MARKETO_MOCK_CONFIG } from '../connectors/marketo/marketo-config.ts';
import { PRM_MOCK_CONFIG } from '../connectors/prm/prm-config.ts';
import { SALESFORCE_MOCK_CONFIG } from '../connectors/salesforce/salesforce-config.ts';

/**
 * Where the simulated systems live, and the credentials they accept: the connectors' mock settings, so
 * the two cannot drift apart. The hosts use the reserved `.test` top-level domain, so a request that
 * escapes the interceptor can never reach a real system.
 */
export const SIMULATED_URLS = {
  /** The PRM objects API base (Impartner-style): `<prm>/<Object>/<id>`. */
  prm: PRM_MOCK_CONFIG.baseUrl,
  /** Salesforce's login host: `POST <salesforceLogin>/services/oauth2/token`. */
  salesforceLogin: SALESFORCE_MOCK_CONFIG.loginUrl,
  /** The org's own host, handed out as `instance_url` by the token endpoint: API calls go here. */
  salesforceInstance: 'https://partnerflow-dev.my.salesforce.partnerflow.test',
  /** The Postmark-style email API: `POST <email>/email`, `GET <email>/messages/outbound`. */
  email: EMAIL_MOCK_CONFIG.apiUrl,
  /** Marketo's instance host: `<marketo>/identity/oauth/token`, `<marketo>/rest/v1/…`. */
  marketo: MARKETO_MOCK_CONFIG.baseUrl,
} as const;

/** The credentials the simulated systems accept. */
export const SIMULATED_CREDENTIALS = {
  prm: { apiKey: PRM_MOCK_CONFIG.apiKey, tenantId: String(PRM_MOCK_CONFIG.tenantId) },
  salesforce: { clientId: SALESFORCE_MOCK_CONFIG.clientId, clientSecret: SALESFORCE_MOCK_CONFIG.clientSecret },
  email: { serverToken: EMAIL_MOCK_CONFIG.serverToken },
  marketo: { clientId: MARKETO_MOCK_CONFIG.clientId, clientSecret: MARKETO_MOCK_CONFIG.clientSecret },
} as const;
