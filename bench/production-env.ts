import { CONNECTORS } from '../connectors/index.ts';

/**
 * The runtime is measured as it runs in production, not in mock mode (whose request interception
 * patches the global Headers). The connectors are configured with their simulated systems' settings
 * so that the configuration validates; the benchmark recipe calls no connector.
 */
export function productionEnv(webhookSecret: string): Record<string, string> {
  const env: Record<string, string> = {
    PUBLIC_BASE_URL: 'http://127.0.0.1:3000',
    PARTNERFLOW_API_TOKEN: 'bench-api-token-0123456789',
    WEBHOOK_SECRET_PRM: webhookSecret,
  };
  for (const connector of CONNECTORS) {
    const settings = (connector.mockConfig ?? {}) as Record<string, unknown>;
    for (const [key, variable] of Object.entries(connector.env as Record<string, string>)) {
      if (settings[key] !== undefined) env[variable] = String(settings[key]);
    }
  }
  // The mock link secret is public, and refused outside mock mode.
  env.APPROVAL_LINK_SECRET = 'bench-approval-link-secret-0123456789abcdef';
  // So is mock mode's sender, on .example (the documentation domain .env.example's examples use).
  env.EMAIL_FROM = 'Partner Marketing <mdf@partnerflow.test>';
  return env;
}

