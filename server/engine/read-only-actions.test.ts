import { afterEach, describe, expect, it } from 'vitest';
import { engineFixture, recipeWith, type EngineFixture } from '../../test/support/engine-fixture.ts';
import type { JournalEntry } from '../store/store.ts';
import { asRunId } from './ids.ts';

let fx: EngineFixture;
afterEach(async () => fx?.close());

/** The D23 digest's shape: per partner, a read (its leads) and a send. */
const digestOf = (partners: number) =>
  recipeWith([
    {
      id: 'each_partner',
      type: 'foreach',
      items: `{% [1..${partners}] %}`,
      as: 'partner',
      steps: [
        { id: 'partner_leads', type: 'action', action: 'fake.read', input: { prefix: 'seed' } },
        { id: 'send_digest', type: 'action', action: 'fake.record', input: { key: '{% "digest-" & $string(partner) %}', value: '{% $count($steps.partner_leads.values) %}' } },
      ],
    },
  ]);

/** The journal writes the store was asked for, each a durable commit of its own in a foreach (one step after another). */
function countJournalCommits(f: EngineFixture): { commits: Array<readonly JournalEntry[]> } {
  const seen = { commits: [] as Array<readonly JournalEntry[]> };
  const writeJournal = f.store.writeJournal.bind(f.store);
  f.store.writeJournal = async (entries, owner) => {
    seen.commits.push(entries);
    return writeJournal(entries, owner);
  };
  return seen;
}

describe('engine: a read-only action (readOnly: no effect outside the run) costs no commit of its own (D23: the digest reads each partner\'s leads)', () => {
  it('journals no `running` entry for it and stores its result with the next step\'s commit: a read and a send per partner are 2 journal commits, not 4', async () => {
    fx = await engineFixture([digestOf(3)]);
    fx.system.effects.push({ key: 'seed-1', value: 'lead 1' }, { key: 'seed-2', value: 'lead 2' });
    const seen = countJournalCommits(fx);
    const { runIds } = await fx.engine.deliver({ source: 'fake', deliveryId: 'd-1', event: 'thing.happened', data: { id: 'T-1' } });
    await fx.engine.runUntilIdle();
    const id = asRunId(runIds[0]!);
    expect(await fx.store.getRun(id)).toMatchObject({ status: 'completed', error: null });
    expect(fx.system.effects.slice(2)).toEqual([1, 2, 3].map((n) => ({ key: `digest-${n}`, value: 2 })));
    // Per partner: the send's `running` entry (with the read's result) and the send's result.
    expect(seen.commits.filter((c) => c.some((e) => e.stepId === 'send_digest'))).toHaveLength(6);
    expect(seen.commits.flat().filter((e) => e.stepId === 'partner_leads').map((e) => e.status)).toEqual(['completed', 'completed', 'completed']);
    const first = seen.commits.find((c) => c.some((e) => e.stepKey === 'each_partner[0].send_digest'))!;
    expect(first.map((e) => `${e.stepKey} ${e.status}`)).toEqual(expect.arrayContaining(['each_partner[0].partner_leads completed', 'each_partner[0].send_digest running']));
    // The journal keeps what was read, for the next turn and for ops.
    const journal = await fx.store.getJournal(id);
    expect(journal.find((e) => e.stepKey === 'each_partner[2].partner_leads')).toMatchObject({ status: 'completed', output: { values: ['lead 1', 'lead 2'] } });
  });

  it('reads again after a crash before its result was stored, and still sends each digest once', async () => {
    fx = await engineFixture([digestOf(2)]);
    fx.system.effects.push({ key: 'seed-1', value: 'lead 1' });
    let reads = 0;
    const take = fx.system.take.bind(fx.system);
    fx.system.take = (action: string) => {
      if (action === 'read') reads += 1;
      take(action);
    };
    // The commits that would carry partner 2's read (with its send's `running` entry, then with its
    // failure) fail: the turn ends there, as when the process dies, with the read stored nowhere.
    const writeJournal = fx.store.writeJournal.bind(fx.store);
    let failures = 2;
    fx.store.writeJournal = async (entries, owner) => {
      if (failures > 0 && entries.some((e) => e.stepKey === 'each_partner[1].partner_leads')) {
        failures -= 1;
        throw new Error('SQLITE_IOERR: disk I/O error');
      }
      return writeJournal(entries, owner);
    };
    const { runIds } = await fx.engine.deliver({ source: 'fake', deliveryId: 'd-1', event: 'thing.happened', data: { id: 'T-1' } });
    await fx.engine.runUntilIdle();
    fx.clock.advance(60_001);
    await fx.engine.runUntilIdle();
    expect(await fx.store.getRun(asRunId(runIds[0]!))).toMatchObject({ status: 'completed', error: null });
    expect(fx.system.effects.slice(1)).toEqual([
      { key: 'digest-1', value: 1 },
      { key: 'digest-2', value: 1 },
    ]);
    // Partner 1 read once (stored with its send); partner 2 read, lost, read again.
    expect(reads).toBe(3);
  });
});
