import pg from 'pg';
import { signWebhook } from '../server/http/webhook-signature.ts';
import { processesCpuMs } from './process-tree-cpu.ts';
import { productionEnv } from './production-env.ts';
import { deliveryBody } from './runtime-under-test.ts';
import { root, start, stop, type Started } from './server-process.ts';

const SECRET = 'bench-webhook-secret-prm';

/**
 * N `partnerflow serve` processes as in production (bench recipes, `PARTNERFLOW_DATABASE_URL`, each its
 * own `PARTNERFLOW_WORKER_ID` and port) on one PostgreSQL database, and what the benchmark reads of
 * them: their CPU time, and the store through a connection of its own.
 */
export class ReplicasUnderTest {
  private constructor(
    readonly servers: Started[],
    private readonly pool: pg.Pool,
  ) {}

  /** Starts the first replica (it migrates the empty database), then the others together. */
  static async start(databaseUrl: string, count: number, nodeArgs: string[] = []): Promise<ReplicasUnderTest> {
    const one = (i: number) =>
      start(
        [...nodeArgs, 'bin/partnerflow.js', 'serve', '--port', '0'],
        { ...productionEnv(SECRET), RECIPES_DIR: `${root}/bench/recipes`, LOG_LEVEL: 'info', PARTNERFLOW_DATABASE_URL: databaseUrl, PARTNERFLOW_WORKER_ID: `bench-replica-${i + 1}` },
        (l) => (l.includes('partnerflow ready') ? (JSON.parse(l).port as number) : null),
      );
    const servers = [await one(0)];
    try {
      servers.push(...(await Promise.all(Array.from({ length: count - 1 }, (_, i) => one(i + 1)))));
    } catch (error) {
      await Promise.all(servers.map((s) => stop(s.child)));
      throw error;
    }
    return new ReplicasUnderTest(servers, new pg.Pool({ connectionString: databaseUrl, max: 2 }));
  }

  /** Each replica's webhook URL: the load generator spreads its connections over them. */
  get urls(): string[] {
    return this.servers.map((s) => `http://127.0.0.1:${s.port}/webhooks/prm`);
  }

  /** A signed delivery with an id never used before; `prefix` starts its id. */
  request(prefix: string): { id: string; body: string; headers: Record<string, string> } {
    const body = deliveryBody(prefix);
    return { id: (JSON.parse(body) as { id: string }).id, body, headers: signWebhook(SECRET, body, Math.floor(Date.now() / 1000)) };
  }

  /** CPU time of the replica processes so far, in ms. */
  cpuMs(): number {
    return processesCpuMs(this.servers.map((s) => s.child.pid!));
  }

  private async count(where: string, values: unknown[] = []): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(`select count(*) as n from runs ${where}`, values);
    return Number(rows[0]!.n);
  }

  /** Runs not finished yet: the backlog, due or under way. */
  unfinished(): Promise<number> {
    return this.count('where finished_at is null');
  }

  /** Runs that reached `completed` in the store so far, or in [from, to) of the wall clock. */
  completed(from = 0, to = Number.MAX_SAFE_INTEGER): Promise<number> {
    return this.count(`where status = 'completed' and finished_at >= $1 and finished_at < $2`, [from, to]);
  }

  /** Waits until every accepted run has finished (at most `timeoutMs`); resolves with the time it took. */
  async drain(timeoutMs = 120_000): Promise<number> {
    const started = performance.now();
    while ((await this.unfinished()) > 0 && performance.now() - started < timeoutMs) await new Promise((r) => setTimeout(r, 100));
    return performance.now() - started;
  }

  /**
   * From each delivery's 202 (`answeredAt`, the load generator's wall clock) to the start of its run's
   * first step (the journal's `started_at`, the replica's wall clock: the same machine's clock); and,
   * on the replicas' clock alone, from the run's acceptance (`created_at`) to that start, which a
   * load generator starved of CPU (it notices a 202 late) cannot shorten. Deliveries whose run has
   * no step in the journal count as never started.
   */
  async acceptToFirstStep(answeredAt: ReadonlyMap<string, number>): Promise<{ latencies: number[]; fromCreated: number[]; notStarted: number }> {
    const { rows } = await this.pool.query<{ delivery_id: string; first: string; created: string }>(
      `select d.delivery_id, min(j.started_at) as first, min(r.created_at) as created
       from deliveries d join runs r on r.id = (d.run_ids::json->>0) join journal j on j.run_id = r.id
       where d.delivery_id = any($1) group by d.delivery_id`,
      [[...answeredAt.keys()]],
    );
    const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
    return {
      latencies: sorted(rows.map((r) => Number(r.first) - answeredAt.get(r.delivery_id)!)),
      fromCreated: sorted(rows.map((r) => Number(r.first) - Number(r.created))),
      notStarted: answeredAt.size - rows.length,
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
    await Promise.all(this.servers.map((s) => stop(s.child)));
  }
}
