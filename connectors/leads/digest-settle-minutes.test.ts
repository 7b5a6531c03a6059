import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { VirtualClock } from '../../server/engine/clock.ts';
import { capturingLogger, testDeps } from '../kit/action-test-context.ts';
import { prmConnector } from '../prm/index.ts';
import type { PrmClient } from '../prm/prm-client.ts';
import { PRM_MOCK_CONFIG, PrmConfig } from '../prm/prm-config.ts';

/**
 * D23 (review 7, H2): `leads.sync_to_prm` stamps Partner Synced Date before its PRM create or update,
 * and the PRM client resends the same body after a timeout or a Retry-After, so the lead can reach the
 * PRM up to one call's longest time after its date. The lead-share digest reads its window
 * digest_settle_minutes after the window's end: that must be longer, or a lead dated just before the
 * end is read by no digest.
 */
const table = JSON.parse(readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../../recipes/tables/lead-share.json'), 'utf8')) as { rows: Array<{ digest_settle_minutes?: number }> };

it('D23: the shipped digest_settle_minutes (lead-share table) is longer than the longest PRM call as the runtime connects the PRM (3 x 30 s + 2 x 60 s)', () => {
  const prm = prmConnector.connect(PrmConfig.parse(PRM_MOCK_CONFIG), testDeps(new VirtualClock(), capturingLogger())) as PrmClient;
  expect(prm.longestCallMs).toBe(210_000);
  const settleMs = (table.rows[0]!.digest_settle_minutes ?? 10) * 60_000;
  // Twice the longest call: the rate budget's queue before an attempt and clocks of replicas a little apart.
  expect(settleMs).toBeGreaterThanOrEqual(2 * prm.longestCallMs);
});
