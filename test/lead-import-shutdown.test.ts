import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARKETO_ACTIVITY_TYPES } from '../connectors/marketo/marketo-lead-fields.ts';
import { API_TOKEN, openRuntimeProcess, type RuntimeProcess } from './support/runtime-process.ts';
import { until } from './support/until.ts';

// A visit date of today (UTC): one more than the lead-routing table's date_window_days_before (365) from the clock is refused (D21, D22).
const VISITED = new Date().toISOString().slice(0, 10);

/**
 * Issue 13: SIGTERM during a big lead import (D20-D22). The runtime as a real child process on a file
 * store; Marketo answers each call after MARKETO_CALL_MS, so the 20 batches of the import take far
 * longer than a shutdown may. The process must stop at the next batch (the one in flight finishes and
 * is journaled), and after the restart every lead is imported once and every routed lead routed once.
 */
const BATCHES = 20;
const ROWS = BATCHES * 300;
const MARKETO_CALL_MS = 1000;
/** Generous for the call in flight and the HTTP server's close; far below the ~17 s of the batches left. */
const PROMPT_EXIT_MS = 6000;

let rt: RuntimeProcess;

beforeAll(async () => {
  rt = await openRuntimeProcess('partnerflow-import-sigterm-');
});

afterAll(async () => {
  await rt?.close();
});

/** A booth-scan file of ROWS leads; the first lead of each batch has Northwind's CRM Partner ID (Channel, D20). */
function bigImport(): { csv: string; routed: string[] } {
  const lines = ['email,first_name,last_name,company,phone,opted_in,crm_partner_id,event,visited_on'];
  const routed: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    const email = `scan${i}@client.example`;
    const partner = i % 300 === 0 ? '0015e00000NWCLD001' : '';
    if (partner) routed.push(email);
    lines.push(`${email},Scan,${i},Client ${i},+1 555 ${String(i).padStart(4, '0')},yes,${partner},Cloud Summit Munich,${VISITED}`);
  }
  return { csv: lines.join('\n') + '\n', routed };
}

const storeRows = <T>(sql: string, ...params: unknown[]) => rt.readStore((db) => db.prepare(sql).all(...params) as T[]);

describe('a lead import stops at a batch on SIGTERM and resumes after the restart (D20-D22)', () => {
  it('exits promptly mid-import; after the restart each lead is imported once and each routed lead is routed once', async () => {
    const { systems } = rt;
    rt.start();
    await rt.ready();
    const sleep = () => new Promise<void>((resolve) => setTimeout(resolve, MARKETO_CALL_MS));
    systems.marketo.setLatency(sleep);

    const { csv, routed } = bigImport();
    const posted = await fetch(`http://127.0.0.1:${rt.port}/imports/leads`, { method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'text/csv' }, body: csv });
    expect(posted.status).toBe(202);
    const report = (await posted.json()) as { run_id: string; accepted: number; batches: number; to_route: number };
    expect(report).toMatchObject({ accepted: ROWS, batches: BATCHES, to_route: BATCHES });

    const batchesDone = () => storeRows<{ step_key: string }>(`select step_key from journal where run_id = ? and step_id = 'upsert' and status = 'completed'`, report.run_id).length;
    await until('three batches of the import to be in Marketo', async () => (batchesDone() >= 3 ? true : undefined), 60_000);

    const child = rt.child!;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const signalledAt = performance.now();
    child.kill('SIGTERM');
    const code = await exited;
    const tookMs = performance.now() - signalledAt;
    rt.child = null;
    expect(code).toBe(0);
    expect(tookMs, `the runtime took ${Math.round(tookMs)} ms to stop after SIGTERM`).toBeLessThan(PROMPT_EXIT_MS);

    // Stopped between batches: what was done is journaled, the run waits to go on.
    const stoppedAfter = batchesDone();
    expect(stoppedAfter).toBeLessThan(BATCHES);
    expect(storeRows<{ status: string }>('select status from runs where id = ?', report.run_id)).toEqual([{ status: 'waiting' }]);

    systems.marketo.setLatency(null);
    rt.start();
    await rt.ready();
    await until('the import and every routing to complete', async () => {
      const statuses = storeRows<{ recipe: string; status: string; n: number }>(`select recipe, status, count(*) as n from runs where recipe in ('lead-import', 'lead-routing') group by recipe, status`);
      const done = (recipe: string, n: number) => statuses.some((s) => s.recipe === recipe && s.status === 'completed' && s.n === n) && !statuses.some((s) => s.recipe === recipe && s.status !== 'completed');
      return done('lead-import', 1) && done('lead-routing', BATCHES) ? true : undefined;
    }, 120_000);

    // Imported once: each batch was taken by one Marketo call that created its 300 leads (a batch sent
    // again would have found them and updated them), and Marketo holds one lead per email.
    const upserts = storeRows<{ attempts: number; output: string }>(`select attempts, output from journal where run_id = ? and step_id = 'upsert' order by seq`, report.run_id);
    expect(upserts).toHaveLength(BATCHES);
    for (const upsert of upserts) expect({ attempts: upsert.attempts, created: (JSON.parse(upsert.output) as { created: number }).created }).toEqual({ attempts: 1, created: 300 });
    const marketoLeads = systems.marketo.leads().filter((l) => String(l.email).startsWith('scan'));
    expect(marketoLeads).toHaveLength(ROWS);
    expect(new Set(marketoLeads.map((l) => l.email)).size).toBe(ROWS);

    // Routed once (D20, D21): one PRM lead, one routing run and one interesting moment per routed lead.
    const prmLeads = systems.prm.leads().filter((l) => String(l.email).startsWith('scan'));
    expect(prmLeads.map((l) => l.email).sort()).toEqual([...routed].sort());
    const routings = storeRows<{ dedup_key: string }>(`select dedup_key from runs where recipe = 'lead-routing'`);
    expect(new Set(routings.map((r) => r.dedup_key)).size).toBe(BATCHES);
    const leadIds = new Map(marketoLeads.map((l) => [l.id, String(l.email)]));
    const moments = systems.marketo.activities().filter((a) => a.activityTypeId === MARKETO_ACTIVITY_TYPES.interestingMoment.id && leadIds.has(a.leadId));
    expect(moments.map((m) => leadIds.get(m.leadId)).sort()).toEqual([...routed].sort());
  }, 240_000);
});
