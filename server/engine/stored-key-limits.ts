/**
 * The longest key a recipe's `dedup_key`, `concurrency_key` or a poll's `correlation_key` may compute
 * (characters). A key is stored and indexed with every run (PostgreSQL refuses an index entry over about
 * 2,700 bytes); a longer one is refused where it is made, never stored or cut short (two keys cut to one
 * length could collide and drop a run). Part of the webhook contract (README).
 */
export const MAX_DEDUP_KEY_LENGTH = 500;
