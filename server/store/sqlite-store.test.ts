import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { asRunId } from '../engine/ids.ts';
import { openSqliteStore } from './sqlite-store.ts';
import { describeStoreContract } from './store.contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'partnerflow-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStoreContract('SQLite in memory', () => openSqliteStore({ path: ':memory:' }));
let n = 0;
describeStoreContract('SQLite file', () => openSqliteStore({ path: join(dir, `contract-${++n}.db`) }));
describeStoreContract('SQLite through the async Kysely driver (the path PostgreSQL takes)', () => openSqliteStore({ path: join(dir, `contract-${++n}.db`), driver: 'kysely' }));

describe('SQLite file store', () => {
  it('keeps runs across a close and reopen, and migrates an existing file without loss', async () => {
    const path = join(dir, 'nested', 'folder', 'reopen.db');
    const first = await openSqliteStore({ path });
    const t = Date.parse('2026-03-02T09:00:00Z');
    await first.ingest({ source: 'prm', deliveryId: 'd1', event: 'prm.x', receivedAt: t }, [
      { id: asRunId('run_a'), recipe: 'r', recipeVersion: 1, recipeHash: 'h', trigger: { type: 'webhook', receivedAt: t, data: {} }, dedupKey: 'k', correlationKey: null, cancelOnEvent: null, wakeAt: t, createdAt: t },
    ]);
    await first.close();
    const second = await openSqliteStore({ path });
    expect((await second.getRun(asRunId('run_a')))?.status).toBe('queued');
    await second.close();
  });
});
