import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { engineFixture, recipeWith, type EngineFixture } from '../../test/support/engine-fixture.ts';
import { asRunId } from './ids.ts';

let fx: EngineFixture;
afterEach(async () => fx?.close());

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGcMb = () => {
  gc();
  return process.memoryUsage().heapUsed / 1e6;
};

describe('engine: a turn holds one iteration of a foreach, not all of them (D23: a digest of 100,000 leads in pages per partner)', () => {
  it('lets go of the input and output of each completed action once journaled, so memory stays flat over the iterations; the journal keeps them', async () => {
    const ITERATIONS = 30;
    fx = await engineFixture([
      recipeWith([
        {
          id: 'each_partner',
          type: 'foreach',
          items: `{% [1..${ITERATIONS}] %}`,
          as: 'partner',
          steps: [
            // A few MB per iteration (the journaled input and output are copies), as a partner's leads read from the PRM are.
            { id: 'partner_leads', type: 'action', action: 'fake.echo', input: { value: '{% $trigger.data.leads %}' } },
            { id: 'send_digest', type: 'action', action: 'fake.record', input: { key: '{% "digest-" & $string(partner) %}', value: '{% $count($steps.partner_leads.value) %}' } },
          ],
        },
      ]),
    ]);
    // Memory as each digest goes out: by then every earlier partner's leads could have been let go.
    const heapAtSend: number[] = [];
    const take = fx.system.take.bind(fx.system);
    fx.system.take = (action: string) => {
      if (action === 'record') heapAtSend.push(heapAfterGcMb());
      take(action);
    };
    const leads = Array.from({ length: 20_000 }, (_, n) => ({ email: `lead-${n}@client.example`, company: `Client ${n}` }));
    const { runIds } = await fx.engine.deliver({ source: 'fake', deliveryId: 'd-1', event: 'thing.happened', data: { id: 'T-1', leads } });
    await fx.engine.runUntilIdle();
    const id = asRunId(runIds[0]!);
    expect(await fx.store.getRun(id)).toMatchObject({ status: "completed", error: null });
    expect(fx.system.effects).toHaveLength(ITERATIONS);
    expect(fx.system.effects.at(-1)).toEqual({ key: `digest-${ITERATIONS}`, value: 20000 });
    // Held, the 29 earlier iterations' leads (twice: output, and the next step's input) are tens of MB.
    const growth = heapAtSend.at(-1)! - heapAtSend[0]!;
    expect(growth, `heap grew by ${growth.toFixed(1)} MB over ${ITERATIONS} iterations`).toBeLessThan(10);
    // What the turn let go of is in the journal, for the next turn and for ops.
    const journal = await fx.store.getJournal(id);
    const last = journal.find((e) => e.stepKey === `each_partner[${ITERATIONS - 1}].partner_leads`);
    expect((last?.output as { value: unknown[] }).value[19_999]).toEqual({ email: 'lead-19999@client.example', company: 'Client 19999' });
  }, 60_000);
});
