import type { OutageMessages } from './outage.ts';

/**
 * What the worker loop says of failed claims (an Outage, outage.ts). It tries again every 500 ms: while
 * the store is away a line per try would be ~7,000 an hour per replica (review 5, finding 11); the
 * outage is said once at error, every minute at warn with how many tries failed so far, and at info
 * when a claim works again.
 */
export const CLAIM_LOOP_OUTAGE: OutageMessages = {
  started: 'claiming due runs failed; will try again',
  still: 'claiming due runs still fails; trying again',
  over: () => 'store reachable again: claiming due runs works again',
};
