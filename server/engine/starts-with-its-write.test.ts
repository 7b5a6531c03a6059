import { afterEach, describe, expect, it } from 'vitest';
import { engineFixture, recipeWith, type EngineFixture } from '../../test/support/engine-fixture.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { openTestPostgresStore } from '../../test/support/test-postgres.ts';
import { asRunId } from './ids.ts';

let fx: EngineFixture;
afterEach(async () => fx?.close());

/** The D23 digest's send per partner, by an action that stores its start with its own first write (as email.send does). */
const sendToEach = (partners: number) =>
  recipeWith([
    {
      id: 'each_partner',
      type: 'foreach',
      items: `{% [1..${partners}] %}`,
      as: 'partner',
      steps: [{ id: 'send_digest', type: 'action', action: 'fake.record_after_start', input: { key: '{% "digest-" & $string(partner) %}', value: 1 } }],
    },
  ]);

describe('engine: an action whose `running` entry goes with its own first write (startsWithItsWrite; D23 digest, email.send)', () => {
  it('does nothing outside the run before its `running` entry is stored: when that commit fails, no partner gets a digest from it, and the retry sends each one once', async () => {
    fx = await engineFixture([sendToEach(2)]);
    // The commit that carries partner 2's `running` entry fails, as when the disk fails or the process dies there.
    const writeJournal = fx.store.writeJournal.bind(fx.store);
    let failures = 1;
    fx.store.writeJournal = async (entries, owner, also) => {
      if (failures > 0 && entries.some((e) => e.stepKey === 'each_partner[1].send_digest' && e.status === 'running')) {
        failures -= 1;
        throw new Error('SQLITE_IOERR: disk I/O error');
      }
      return writeJournal(entries, owner, also);
    };
    const { runIds } = await fx.engine.deliver({ source: 'fake', deliveryId: 'd-1', event: 'thing.happened', data: { id: 'T-1' } });
    await fx.engine.runUntilIdle();
    expect(fx.system.effects).toEqual([{ key: 'digest-1', value: 1 }]);

    fx.clock.advance(60_001);
    await fx.engine.runUntilIdle();
    expect(await fx.store.getRun(asRunId(runIds[0]!))).toMatchObject({ status: 'completed', error: null });
    expect(fx.system.effects).toEqual([
      { key: 'digest-1', value: 1 },
      { key: 'digest-2', value: 1 },
    ]);
    const journal = await fx.store.getJournal(asRunId(runIds[0]!));
    expect(journal.filter((e) => e.stepId === 'send_digest').map((e) => `${e.stepKey} ${e.status} ${e.attempts}`)).toEqual(['each_partner[0].send_digest completed 1', 'each_partner[1].send_digest completed 1']);
  });

  it('does nothing when the run was taken over before its start was stored', async () => {
    fx = await engineFixture([sendToEach(1)]);
    const writeJournal = fx.store.writeJournal.bind(fx.store);
    let refused = 1;
    // The lease is gone at that commit: the store refuses the entry (false), as for a run another worker took over.
    fx.store.writeJournal = async (entries, owner, also) => {
      if (refused > 0 && entries.some((e) => e.stepId === 'send_digest' && e.status === 'running')) {
        refused -= 1;
        return false;
      }
      return writeJournal(entries, owner, also);
    };
    await fx.engine.deliver({ source: 'fake', deliveryId: 'd-1', event: 'thing.happened', data: { id: 'T-1' } });
    await fx.engine.runUntilIdle();
    expect(fx.system.effects).toEqual([]);
  });

  it.each([
    ['SQLite', () => openSqliteStore({ path: ':memory:' })],
    ['PostgreSQL', () => openTestPostgresStore()],
  ] as const)("keeps each step's input in the journal, stored once with its `running` entry and not written again with its result (%s)", async (_name, open) => {
    fx = await engineFixture(
      [
        recipeWith([
          { id: 'send_digest', type: 'action', action: 'fake.record_after_start', input: { key: 'digest-1001', value: { leads: [{ email: 'ann@client.example' }, { email: 'bo@client.example' }] } } },
          { id: 'note_sent', type: 'action', action: 'fake.record', input: { key: 'sent-1001', value: 2 } },
        ]),
      ],
      { store: await open() },
    );
    const inputs: unknown[] = [];
    const writeJournal = fx.store.writeJournal.bind(fx.store);
    fx.store.writeJournal = async (entries, owner, also) => {
      for (const e of entries) if (e.status === 'completed' && e.stepType === 'action') inputs.push(e.inputAsStored ? 'as stored' : e.input);
      return writeJournal(entries, owner, also);
    };
    const { runIds } = await fx.engine.deliver({ source: 'fake', deliveryId: 'd-1', event: 'thing.happened', data: { id: 'T-1' } });
    await fx.engine.runUntilIdle();
    const journal = await fx.store.getJournal(asRunId(runIds[0]!));
    expect(journal.map((e) => [e.stepKey, e.status, e.input])).toEqual([
      ['send_digest', 'completed', { key: 'digest-1001', value: { leads: [{ email: 'ann@client.example' }, { email: 'bo@client.example' }] } }],
      ['note_sent', 'completed', { key: 'sent-1001', value: 2 }],
    ]);
    expect(inputs).toEqual(['as stored', 'as stored']);
  });
});
