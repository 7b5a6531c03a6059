import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../server/engine/clock.ts';
import { testContext } from '../kit/action-test-context.ts';
import type { AnnounceWrite } from './announce-write.ts';
import { runsConnector } from './index.ts';
import type { RunsConnection } from './start-run.ts';

/** runs.announce_write: the runtime's own write, delivered once per change (record id + stamp). */
const clock = new VirtualClock('2026-04-06T09:00:00Z');
const definition = runsConnector.actions.announce_write!;

/** Deliveries kept by id, as the store's ingest keeps them: the same id twice starts nothing new. */
function deliveries() {
  const seen = new Map<string, { source: string; event: string; data: unknown; runIds: string[] }>();
  const announceWrite: AnnounceWrite = async (source, event, data, deliveryId) => {
    const before = seen.get(deliveryId);
    if (before) return { runIds: before.runIds, duplicate: true };
    const runIds = [`run_${seen.size + 1}`];
    seen.set(deliveryId, { source, event, data, runIds });
    return { runIds, duplicate: false };
  };
  return { seen, announceWrite };
}

async function announce(connection: RunsConnection, input: unknown) {
  const { ctx } = testContext(connection, clock);
  return definition.output.parse(await definition.run(definition.input.parse(input), ctx)) as { delivery_id: string; run_ids: string[]; duplicate: boolean };
}

describe('runs.announce_write', () => {
  const claim = { id: 7, mdfNumber: 'MDF-0902', status: 'Approved', updated: '2026-04-06T09:10:00Z' };

  it('delivers the written record as the named event of its source, under an id made of the change', async () => {
    const { seen, announceWrite } = deliveries();
    const out = await announce({ announceWrite }, { event: 'prm.mdf_claim.changed', record: claim, change: '7@2026-04-06T09:10:00Z' });
    expect(out).toEqual({ delivery_id: 'runtime-write:mdf_claim.changed:7@2026-04-06T09:10:00Z', run_ids: ['run_1'], duplicate: false });
    expect([...seen.values()]).toEqual([{ source: 'prm', event: 'mdf_claim.changed', data: claim, runIds: ['run_1'] }]);
  });

  it('announces one change under one delivery id however often the step runs (the store dedups it); a later change gets another', async () => {
    const { seen, announceWrite } = deliveries();
    const input = { event: 'prm.mdf_claim.changed', record: claim, change: '7@2026-04-06T09:10:00Z' };
    const first = await announce({ announceWrite }, input);
    const again = await announce({ announceWrite }, input);
    expect(again.delivery_id).toBe(first.delivery_id);
    expect(again).toMatchObject({ run_ids: ['run_1'], duplicate: true });
    const later = await announce({ announceWrite }, { ...input, record: { ...claim, status: 'Denied' }, change: '7@2026-04-07T10:00:00Z' });
    expect(later.delivery_id).not.toBe(first.delivery_id);
    expect(later).toMatchObject({ run_ids: ['run_2'], duplicate: false });
    expect(seen.size).toBe(2);
  });

  it('refuses an event without its source, and fails where no engine runs', async () => {
    expect(definition.input.safeParse({ event: 'mdf_claim', record: claim, change: 'x' }).success).toBe(false);
    await expect(announce({}, { event: 'prm.mdf_claim.changed', record: claim, change: 'x' })).rejects.toThrow('runs.announce_write needs the runtime engine');
  });
});
