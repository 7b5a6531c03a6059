import { DateTime } from 'luxon';
import { z } from 'zod';
import { LimitSetting } from '../kit/limit-setting.ts';

/** The Marketo connector's settings, read from the environment (the variables in MARKETO_ENV). */
export const MarketoConfig = z.object({
  /**
   * The instance's REST host, `https://<munchkin id>.mktorest.com`: the token is asked at
   * `<baseUrl>/identity/oauth/token`, API calls go to `<baseUrl>/rest/v1/…`.
   */
  baseUrl: z
    .url({ protocol: /^https?$/ })
    .refine((url) => !/\/(rest|identity)\/?$/.test(url), 'the host only, e.g. https://123-ABC-456.mktorest.com (without /rest or /identity)')
    .describe('Marketo REST host, https://<munchkin id>.mktorest.com (Admin > Web Services)'),
  clientId: z.string().min(1).describe('Client Id of the LaunchPoint custom service'),
  /** Secret: sent only in the token request's query, which is redacted wherever it is logged or kept. */
  clientSecret: z.string().min(1).describe('Client Secret of the LaunchPoint custom service (secret)'),
  /** Marketo allows 100 calls per 20 s per instance (606 beyond); all runs and replicas together keep under it (the budget is in the store). */
  maxCallsPerWindow: LimitSetting(10_000).default(100).describe('Marketo calls started in any window of MARKETO_WINDOW_SECONDS, all replicas together'),
  windowSeconds: LimitSetting(3_600).default(20).describe('The length of that sliding window, in seconds'),
  /** Marketo allows 10 calls in flight per instance (615 beyond). */
  maxConcurrent: LimitSetting(256).default(10).describe('Marketo calls in flight at once, all replicas together'),
  /**
   * Marketo resets the daily call quota (607 when spent) at midnight US Central time. [vendor] After a
   * 607 no Marketo call is made until the next midnight in this zone.
   */
  quotaResetZone: z
    .string()
    .default('America/Chicago')
    .refine((zone) => DateTime.now().setZone(zone).isValid, 'an IANA time zone, e.g. America/Chicago')
    .describe('Time zone whose midnight resets the daily quota (Marketo: US Central)'),
});
export type MarketoConfig = z.infer<typeof MarketoConfig>;

export const MARKETO_ENV = {
  baseUrl: 'MARKETO_BASE_URL',
  clientId: 'MARKETO_CLIENT_ID',
  clientSecret: 'MARKETO_CLIENT_SECRET',
  maxCallsPerWindow: 'MARKETO_MAX_CALLS_PER_WINDOW',
  windowSeconds: 'MARKETO_WINDOW_SECONDS',
  maxConcurrent: 'MARKETO_MAX_CONCURRENT',
  quotaResetZone: 'MARKETO_QUOTA_RESET_ZONE',
} as const;

/** The simulated Marketo (mocks/marketo/README.md) used by `serve --mock` and the harness. */
export const MARKETO_MOCK_CONFIG: z.input<typeof MarketoConfig> = {
  baseUrl: 'https://123-mkt-456.mktorest.partnerflow.test',
  clientId: 'mock-marketo-client',
  clientSecret: 'mock-marketo-secret',
  maxCallsPerWindow: 100,
  windowSeconds: 20,
  maxConcurrent: 10,
  quotaResetZone: 'America/Chicago',
};
