import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from './sqlite-store.ts';
import type { Store } from './store.ts';

const T0 = Date.parse('2026-03-02T09:00:00Z');
const subject = 'mdf-request-status:MDF-2001';

for (const driver of ['synchronous', 'kysely'] as const) {
  describe(`tell on change (D11, D12), ${driver} driver`, () => {
    let store: Store;
    afterEach(async () => store?.close());

    it('tells every real change, Approved then Denied then Approved again, and nothing for an echo of the last one', async () => {
      store = await openSqliteStore({ path: ':memory:', driver });
      expect(await store.tellOnChange({ subject, value: 'Approved', key: 'told:run_a:tell', now: T0 })).toEqual({ kind: 'tell', key: 'told:run_a:tell' });
      expect(await store.tellOnChange({ subject, value: 'Approved', key: 'told:run_echo:tell', now: T0 + 1 })).toEqual({ kind: 'told', key: 'told:run_a:tell' });
      expect(await store.tellOnChange({ subject, value: 'Denied', key: 'told:run_b:tell', now: T0 + 2 })).toEqual({ kind: 'tell', key: 'told:run_b:tell' });
      expect(await store.tellOnChange({ subject, value: 'Approved', key: 'told:run_c:tell', now: T0 + 3 })).toEqual({ kind: 'tell', key: 'told:run_c:tell' });
      // Another request's status is another subject.
      expect(await store.tellOnChange({ subject: 'mdf-request-status:MDF-2002', value: 'Approved', key: 'told:run_d:tell', now: T0 + 4 })).toMatchObject({ kind: 'tell' });
    });

    it('the same step asking again after a crash still tells its change, unless a newer change was told meanwhile', async () => {
      store = await openSqliteStore({ path: ':memory:', driver });
      await store.tellOnChange({ subject, value: 'Approved', key: 'told:run_a:tell', now: T0 });
      expect(await store.tellOnChange({ subject, value: 'Approved', key: 'told:run_a:tell', now: T0 + 1 })).toEqual({ kind: 'tell', key: 'told:run_a:tell' });
      await store.tellOnChange({ subject, value: 'Canceled', key: 'told:run_b:tell', now: T0 + 2 });
      expect(await store.tellOnChange({ subject, value: 'Approved', key: 'told:run_a:tell', now: T0 + 3 })).toEqual({ kind: 'superseded', value: 'Canceled', key: 'told:run_b:tell' });
    });

    it('two steps telling the same change at once: one tells, the other finds it told', async () => {
      store = await openSqliteStore({ path: ':memory:', driver });
      const outcomes = await Promise.all([
        store.tellOnChange({ subject, value: 'Canceled', key: 'told:run_a:tell', now: T0 }),
        store.tellOnChange({ subject, value: 'Canceled', key: 'told:run_b:tell', now: T0 }),
      ]);
      expect(outcomes.map((o) => o.kind).sort()).toEqual(['tell', 'told']);
    });
  });
}
