import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asRunId } from '../engine/ids.ts';
import type { Store } from './store.ts';
import type { TellOnChangeOutcome } from './told-changes.ts';

const T0 = Date.parse('2026-03-02T09:00:00Z');
const subject = 'mdf-request-status:MDF-2001';

/**
 * Tell on change (D11, D12; told-changes.ts): what every Store must do. Part of the store contract
 * (`describeStoreContract` calls it), so SQLite and PostgreSQL stores both run it.
 */
export function describeTellOnChangeContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}: tell on change (D11, D12)`, () => {
    let store!: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('tells every real change, Approved then Denied then Approved again, and nothing for an echo of the last one', async () => {
      expect(await store.tellOnChange({ subject, value: 'Approved', key: 'told:run_a:tell', now: T0 })).toEqual({ kind: 'tell', key: 'told:run_a:tell' });
      expect(await store.tellOnChange({ subject, value: 'Approved', key: 'told:run_echo:tell', now: T0 + 1 })).toEqual({ kind: 'told', key: 'told:run_a:tell' });
      expect(await store.tellOnChange({ subject, value: 'Denied', key: 'told:run_b:tell', now: T0 + 2 })).toEqual({ kind: 'tell', key: 'told:run_b:tell' });
      expect(await store.tellOnChange({ subject, value: 'Approved', key: 'told:run_c:tell', now: T0 + 3 })).toEqual({ kind: 'tell', key: 'told:run_c:tell' });
      // Another request's status is another subject.
      expect(await store.tellOnChange({ subject: 'mdf-request-status:MDF-2002', value: 'Approved', key: 'told:run_d:tell', now: T0 + 4 })).toMatchObject({ kind: 'tell' });
    });

    it('the same step asking again after a crash still tells its change, unless a newer change was told meanwhile', async () => {
      await store.tellOnChange({ subject, value: 'Approved', key: 'told:run_a:tell', now: T0 });
      expect(await store.tellOnChange({ subject, value: 'Approved', key: 'told:run_a:tell', now: T0 + 1 })).toEqual({ kind: 'tell', key: 'told:run_a:tell' });
      await store.tellOnChange({ subject, value: 'Canceled', key: 'told:run_b:tell', now: T0 + 2 });
      expect(await store.tellOnChange({ subject, value: 'Approved', key: 'told:run_a:tell', now: T0 + 3 })).toEqual({ kind: 'superseded', value: 'Canceled', key: 'told:run_b:tell' });
    });

    it('D17 quietFirst: the first value about a subject is recorded, not sent; a later change from it is told, the same step again sends nothing', async () => {
      const pop = 'mdf-claim-missing-pop:7';
      expect(await store.tellOnChange({ subject: pop, value: 'none', key: 'told:run_a:thank', quietFirst: true, now: T0 })).toEqual({ kind: 'quiet' });
      expect(await store.tellOnChange({ subject: pop, value: 'none', key: 'told:run_a:thank', quietFirst: true, now: T0 + 1 })).toMatchObject({ kind: 'told' });
      expect(await store.tellOnChange({ subject: pop, value: 'POP', key: 'told:run_b:tell', now: T0 + 2 })).toEqual({ kind: 'tell', key: 'told:run_b:tell' });
      expect(await store.tellOnChange({ subject: pop, value: 'none', key: 'told:run_c:thank', quietFirst: true, now: T0 + 3 })).toEqual({ kind: 'tell', key: 'told:run_c:thank' });
    });

    it('D7, D11 quiet (email.note_change): a change the partner made (Open) is recorded and not sent, so the next decision is news even when it repeats the last one; the same value again records nothing', async () => {
      expect(await store.tellOnChange({ subject, value: 'Denied', key: 'told:run_a:problems', asOf: T0, now: T0 })).toEqual({ kind: 'tell', key: 'told:run_a:problems' });
      expect(await store.tellOnChange({ subject, value: 'Open', key: 'told:run_b:note_open', asOf: T0 + 10, quiet: true, now: T0 + 10 })).toEqual({ kind: 'quiet' });
      expect(await store.tellOnChange({ subject, value: 'Open', key: 'told:run_b:note_open', asOf: T0 + 10, quiet: true, now: T0 + 11 })).toMatchObject({ kind: 'told' });
      expect(await store.tellOnChange({ subject, value: 'Denied', key: 'told:run_b:problems', asOf: T0 + 10, now: T0 + 12 })).toEqual({ kind: 'tell', key: 'told:run_b:problems' });
      // An older read records nothing.
      expect(await store.tellOnChange({ subject, value: 'Open', key: 'told:run_c:note_open', asOf: T0 + 5, quiet: true, now: T0 + 13 })).toMatchObject({ kind: 'superseded', value: 'Denied' });
    });

    it('two steps telling the same change at once: one tells, the other finds it told (D11, D12), every time', async () => {
      // A race is lost only now and then: 20 rounds, each a real change of the same subject that two
      // steps (two runs hearing the same PRM update) tell at once, with and without the PRM's stamp.
      for (let round = 0; round < 20; round++) {
        const value = round % 2 === 0 ? 'Canceled' : 'Approved';
        const asOf = round % 4 < 2 ? undefined : T0 + round;
        const outcomes = await Promise.all(
          ['a', 'b'].map((run) => store.tellOnChange({ subject, value, key: `told:run_${run}${round}:tell`, asOf, now: T0 + round })),
        );
        expect(outcomes.map((o) => o.kind).sort(), `round ${round} (${value})`).toEqual(['tell', 'told']);
      }
    });

    it('D11, D12 as_of: a value read from an older PRM state than one already seen is superseded, whatever order the runs tell in (scenario B)', async () => {
      const S = (n: number) => T0 + n * 60_000;
      expect(await store.tellOnChange({ subject, value: 'Approved', key: 'told:approval:tell', asOf: S(1), now: S(1) })).toMatchObject({ kind: 'tell' });
      expect(await store.tellOnChange({ subject, value: 'Canceled', key: 'told:cancel_1:tell', asOf: S(2), now: S(2) })).toMatchObject({ kind: 'tell' });
      // Reinstated to Approved at S(3), its notice is held up; canceled again at S(4): Canceled is told already.
      expect(await store.tellOnChange({ subject, value: 'Canceled', key: 'told:cancel_2:tell', asOf: S(4), now: S(4) })).toEqual({ kind: 'told', key: 'told:cancel_1:tell' });
      // The notice resumes with its read of S(3): older than S(4), nothing is sent.
      expect(await store.tellOnChange({ subject, value: 'Approved', key: 'told:notice:tell', asOf: S(3), now: S(5) })).toEqual({ kind: 'superseded', value: 'Canceled', key: 'told:cancel_1:tell', asOf: S(4) });
      // A redelivery of the second cancellation reads S(4) again: nothing; a real change after it is told.
      expect(await store.tellOnChange({ subject, value: 'Canceled', key: 'told:cancel_3:tell', asOf: S(4), now: S(6) })).toMatchObject({ kind: 'told' });
      expect(await store.tellOnChange({ subject, value: 'Approved', key: 'told:notice_2:tell', asOf: S(7), now: S(7) })).toMatchObject({ kind: 'tell' });
    });

    it('D11, D12 as_of: a newer state seen without telling (same value) still makes an older read of another value stale (scenario C)', async () => {
      const S = (n: number) => T0 + n * 60_000;
      await store.tellOnChange({ subject, value: 'Approved', key: 'told:approval:tell', asOf: S(1), now: S(1) });
      // Canceled at S(2) (its run is held up), reinstated Approved at S(3): the notice finds Approved told.
      expect(await store.tellOnChange({ subject, value: 'Approved', key: 'told:notice:tell', asOf: S(3), now: S(8) })).toMatchObject({ kind: 'told' });
      expect(await store.tellOnChange({ subject, value: 'Canceled', key: 'told:cancel:tell', asOf: S(2), now: S(20) })).toMatchObject({ kind: 'superseded', value: 'Approved', asOf: S(3) });
      // The held-up step retried later with the same input is still superseded.
      expect(await store.tellOnChange({ subject, value: 'Canceled', key: 'told:cancel:tell', asOf: S(2), now: S(40) })).toMatchObject({ kind: 'superseded' });
    });

    it('D11, D12 as_of: two states with the same stamp (a stamp coarser than the changes) are told in the order read, each change once', async () => {
      expect(await store.tellOnChange({ subject, value: 'Approved', key: 'told:a:tell', asOf: T0, now: T0 })).toMatchObject({ kind: 'tell' });
      expect(await store.tellOnChange({ subject, value: 'Canceled', key: 'told:b:tell', asOf: T0, now: T0 + 1 })).toMatchObject({ kind: 'tell' });
      expect(await store.tellOnChange({ subject, value: 'Canceled', key: 'told:c:tell', asOf: T0, now: T0 + 2 })).toMatchObject({ kind: 'told' });
    });

    it('D11, D12 upgrade: a message an older recipe version sent with once_per counts as that value told, unless a change told here is newer', async () => {
      const message = { from: 'x@example.com', to: ['marketing@northwind.example'], subject: 's', text: 't', html: 'h' };
      await store.enqueueOutbox({ key: 'once:mdf-request-decided:MDF-2001:Approved', runId: asRunId('run_old'), message, createdAt: T0 });
      await store.updateOutbox('once:mdf-request-decided:MDF-2001:Approved', { status: 'sent' });
      const legacyKey = 'once:mdf-request-decided:MDF-2001:Approved';
      // The echo, heard by the new version: told already.
      expect(await store.tellOnChange({ subject, value: 'Approved', key: 'told:notice:tell', asOf: T0, legacyKey, now: T0 + 1 })).toEqual({ kind: 'told', key: legacyKey });
      // Canceled, then reinstated: the old message is older than the cancellation told, so Approved is told again.
      expect(await store.tellOnChange({ subject, value: 'Canceled', key: 'told:cancel:tell', asOf: T0 + 2, legacyKey: 'once:mdf-request-canceled:MDF-2001', now: T0 + 2 })).toMatchObject({ kind: 'tell' });
      expect(await store.tellOnChange({ subject, value: 'Approved', key: 'told:notice_2:tell', asOf: T0 + 3, legacyKey, now: T0 + 3 })).toMatchObject({ kind: 'tell' });
    });

    it('D11, D12 upgrade: an old-version message that failed was not told', async () => {
      const message = { from: 'x@example.com', to: ['marketing@northwind.example'], subject: 's', text: 't', html: 'h' };
      await store.enqueueOutbox({ key: 'once:mdf-request-canceled:MDF-2001', runId: asRunId('run_old'), message, createdAt: T0 });
      await store.updateOutbox('once:mdf-request-canceled:MDF-2001', { status: 'failed' });
      expect(await store.tellOnChange({ subject, value: 'Canceled', key: 'told:cancel:tell', legacyKey: 'once:mdf-request-canceled:MDF-2001', now: T0 + 1 })).toMatchObject({ kind: 'tell' });
    });
  });
}

/**
 * Several replicas (store instances on one database, each with its own connections) telling the same
 * change at once, as two runs hearing one PRM update on two replicas do: each real change is told once
 * (D11, D12). PostgreSQL runs it with two stores (two pools) on one database, where two transactions
 * really do run at once. (One process serves a SQLite file: its one writer at a time is covered by the
 * contract's race within one store.)
 */
export function describeTellOnChangeReplicas(name: string, openReplicas: () => Promise<Store[]>): void {
  describe(`Tell on change across replicas (D11, D12): ${name}`, () => {
    it('two replicas telling the same change at once, 20 changes in a row: each change is told exactly once, the other replica finds it told', async () => {
      const replicas = await openReplicas();
      try {
        for (let round = 0; round < 20; round++) {
          const value = round % 2 === 0 ? 'Canceled' : 'Approved';
          const asOf = round % 4 < 2 ? undefined : T0 + round;
          const outcomes: TellOnChangeOutcome[] = await Promise.all(
            replicas.map((store, r) => store.tellOnChange({ subject, value, key: `told:run_${r}_${round}:tell`, asOf, now: T0 + round })),
          );
          const told = outcomes.filter((o) => o.kind === 'tell');
          expect(told, `round ${round} (${value}): ${JSON.stringify(outcomes)}`).toHaveLength(1);
          expect(outcomes.filter((o) => o.kind === 'told')).toEqual(Array.from({ length: replicas.length - 1 }, () => ({ kind: 'told', key: (told[0] as { key: string }).key })));
        }
      } finally {
        for (const store of replicas) await store.close();
      }
    });
  });
}
