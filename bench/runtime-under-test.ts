import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { createSimulatedSystems } from '../mocks/simulated-systems.ts';
import { systemClock } from '../server/engine/clock.ts';
import { signWebhook } from '../server/http/webhook-signature.ts';
import { percentile } from './load.ts';
import { productionEnv } from './production-env.ts';
import { root, start, type Started } from './server-process.ts';

const SECRET = 'bench-webhook-secret-prm';
const API_TOKEN = 'bench-api-token-0123456789';

/** The demo PRM's MDF-1001, as the simulated PRM sends it; each delivery gets its own number. */
const demoSystems = createSimulatedSystems({ clock: systemClock });
demoSystems.seed();
const DEMO_REQUEST = demoSystems.prm.findMdfRequest('MDF-1001')!;
let sequence = 0;

/** A delivery body of the bench recipe's event, with an id never used before in this benchmark. */
export function deliveryBody(prefix: string): string {
  const n = sequence++;
  return JSON.stringify({ id: `${prefix}-${n}`, event: 'mdf_request.submitted', data: { ...DEMO_REQUEST, id: n + 1, mdfNumber: `MDF-B${n}` } });
}

/**
 * The runtime as it runs in production (`serve`, bench recipes), on a database of its own, and what the
 * benchmark reads of it: `GET /metrics` (what an operator sees) and the store (read-only, WAL lets it
 * read beside the writer).
 */
export class RuntimeUnderTest {
  private constructor(
    readonly server: Started,
    readonly dbPath: string,
    readonly db: Sqlite.Database,
  ) {}

  static async start(work: string, name: string, env: Record<string, string> = {}): Promise<RuntimeUnderTest> {
    const dbPath = join(work, `${name}.db`);
    const server = await start(
      ['bin/partnerflow.js', 'serve', '--port', '0', '--db', dbPath],
      { ...productionEnv(SECRET), RECIPES_DIR: join(root, 'bench/recipes'), LOG_LEVEL: 'info', ...env },
      (l) => (l.includes('partnerflow ready') ? (JSON.parse(l).port as number) : null),
    );
    return new RuntimeUnderTest(server, dbPath, new Sqlite(dbPath, { readonly: true }));
  }

  get url(): string {
    return `http://127.0.0.1:${this.server.port}/webhooks/prm`;
  }

  get pid(): number {
    return this.server.child.pid!;
  }

  /** A signed delivery, ready to send. */
  request(prefix: string): { body: string; headers: Record<string, string> } {
    return this.signed(deliveryBody(prefix));
  }

  /** A delivery of the given body, signed with the PRM's webhook secret the runtime was started with. */
  signed(body: string): { body: string; headers: Record<string, string> } {
    return { body, headers: signWebhook(SECRET, body, Math.floor(Date.now() / 1000)) };
  }

  /** One metric's value from `GET /metrics` (a line `name value`, labels included in `name`). */
  async metric(name: string): Promise<number> {
    const res = await fetch(`http://127.0.0.1:${this.server.port}/metrics`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    const text = await res.text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? Number(line.slice(name.length + 1)) : 0;
  }

  /** Runs completed so far, as `/metrics` counts them (summed over the recipes). */
  async completed(): Promise<number> {
    const res = await fetch(`http://127.0.0.1:${this.server.port}/metrics`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    let sum = 0;
    for (const m of (await res.text()).matchAll(/^partnerflow_runs_finished_total\{[^}]*status="completed"[^}]*\} (\d+)/gm)) sum += Number(m[1]);
    return sum;
  }

  count(where: string): number {
    return (this.db.prepare(`select count(*) as n from runs ${where}`).get() as { n: number }).n;
  }

  /** Runs not finished yet: the backlog, due or under way. */
  unfinished(): number {
    return this.count('where finished_at is null');
  }

  /** Waits until every accepted run has finished (at most `timeoutMs`); resolves with the time it took. */
  async drain(timeoutMs = 120_000): Promise<number> {
    const started = performance.now();
    while (this.unfinished() > 0 && performance.now() - started < timeoutMs) await new Promise((r) => setTimeout(r, 50));
    return performance.now() - started;
  }

  /** From acceptance (`created_at`) to `completed` (`finished_at`), for the runs accepted in [from, to). */
  acceptToCompleted(from: number, to: number): { runs: number; p50Ms: number; p99Ms: number } {
    const rows = this.db
      .prepare(`select finished_at - created_at as ms from runs where status = 'completed' and created_at >= ? and created_at < ? order by ms`)
      .all(from, to) as Array<{ ms: number }>;
    const ms = rows.map((r) => r.ms);
    return { runs: ms.length, p50Ms: percentile(ms, 0.5), p99Ms: percentile(ms, 0.99) };
  }

  close(): void {
    this.db.close();
  }
}
