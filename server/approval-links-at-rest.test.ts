import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { approvalTokenFor, MOCK_APPROVAL_LINK_SECRET } from '../connectors/approval/approval-token.ts';
import { CONNECTORS } from '../connectors/index.ts';
import { loadConfig } from './config.ts';
import { createRuntime, type Runtime } from './runtime.ts';

/**
 * D10 and the README's promise: no working approval link is ever written to the store, neither while
 * its email waits to be sent nor once it went, in the database file, its WAL or its shared memory.
 * The bytes are read while the runtime runs (a copy of the files taken then would hold them).
 */
let runtime: Runtime | undefined;
let dir: string | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Every file SQLite keeps for the database: the file, its WAL, its shared memory, a rollback journal. */
function storeBytes(dbPath: string): Buffer {
  return Buffer.concat(['', '-wal', '-shm', '-journal'].filter((s) => existsSync(dbPath + s)).map((s) => readFileSync(dbPath + s)));
}

/** The tokens of every approval in the store, as the runtime derives them (mock mode's fixed secret). */
function derivedTokens(dbPath: string): string[] {
  const db = new Sqlite(dbPath, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('select approval_id from approvals where approval_id is not null').pluck().all() as string[]).map((id) => approvalTokenFor(MOCK_APPROVAL_LINK_SECRET, id));
  } finally {
    db.close();
  }
}

function outboxStatuses(dbPath: string): Array<{ key: string; status: string; tag: string | null }> {
  const db = new Sqlite(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(`select key, status, json_extract(message, '$.tag') as tag from outbox order by created_at`).all() as never;
  } finally {
    db.close();
  }
}

describe('approval links at rest (D10)', () => {
  it('no live link token is in the database, its WAL or shm while the runtime runs: neither of a sent approval email nor of one waiting to be sent; the links still work', async () => {
    dir = mkdtempSync(join(tmpdir(), 'partnerflow-links-'));
    const dbPath = join(dir, 'store.db');
    const config = loadConfig({}, { mock: true, connectors: CONNECTORS, overrides: { dbPath, logLevel: 'silent' } });
    const rt = (runtime = await createRuntime({ config }));

    await rt.app.request('/_mock/prm/webhooks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ event: 'mdf_request.submitted', mdf_number: 'MDF-1001' }) });
    await rt.engine.runUntilIdle();
    const sent = rt.systems!.email.messages().find((m) => m.subject.startsWith('MDF approval needed: MDF-1001'))!;
    const token = /\/approvals\/([A-Za-z0-9_-]{43})\?/.exec(sent.text)![1]!;

    // The approver does not decide in 2 business days; the reminder's email API refuses (429) for now.
    // Until idle, not one tick: the five days also make the daily schedules' runs due, and which of
    // them one tick's slots take first depends on the time of day the test starts at.
    rt.systems!.faults.inject({ system: 'email', kind: 'rate_limit', times: 1000 });
    (rt.clock as unknown as { advance(ms: number): void }).advance(5 * 86_400_000);
    await rt.engine.runUntilIdle();
    expect(outboxStatuses(dbPath).filter((m) => m.tag === 'mdf-approval-reminder').map((m) => m.status)).toEqual(['pending']);

    const tokens = derivedTokens(dbPath);
    expect(tokens).toContain(token);
    expect(tokens).toHaveLength(2);
    const bytes = storeBytes(dbPath);
    expect(existsSync(`${dbPath}-wal`)).toBe(true);
    for (const t of tokens) expect(bytes.includes(Buffer.from(t)), `token ${t.slice(0, 6)}… is in the store's files`).toBe(false);

    // The API answers again: the reminder goes out with its link, and no link was written meanwhile.
    rt.systems!.faults.clear();
    (rt.clock as unknown as { advance(ms: number): void }).advance(3_600_000);
    await rt.engine.runUntilIdle();
    const reminder = rt.systems!.email.messages().find((m) => m.subject.startsWith('Reminder: MDF approval needed: MDF-1001'))!;
    expect(reminder.text).toContain(`/approvals/${tokens.find((t) => t !== token)}?decision=approve`);
    const after = storeBytes(dbPath);
    for (const t of tokens) expect(after.includes(Buffer.from(t))).toBe(false);

    // The first link still decides.
    const decided = await rt.app.request(`/approvals/${token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ decision: 'approve' }) });
    expect(decided.status).toBe(200);
  });
});
