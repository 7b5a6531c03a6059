/**
 * Marketo's published per-call limits (docs/systems.md, Marketo REST, Limits). [vendor] The rate limits
 * (calls per window, calls at once) are settings instead (marketo-config.ts): an instance can have
 * them raised, and ops may want to keep below them.
 */
export const MARKETO_LIMITS = {
  /** Records in one lead upsert, lead read or list call. */
  batchSize: 300,
  /** Leads in one smart-campaign trigger. */
  campaignBatchSize: 100,
  /** Activity types in one activities call. */
  activityTypesPerCall: 10,
  /** Lead ids in one activities or lead changes call (`leadIds`). */
  leadIdsPerActivityCall: 30,
  /** A request body above this is refused with 413. */
  maxBodyBytes: 1_048_576,
  /** A URL above this is refused with 414. */
  maxUrlBytes: 8_192,
  /** Calls per day per instance (607 beyond); resets at midnight US Central time. */
  dailyQuota: 50_000,
  /** Characters a string lead field holds (a standard String field; Text fields hold more). */
  stringFieldLength: 255,
  /** A token's life, in seconds. */
  tokenLifetimeSeconds: 3_600,
} as const;
