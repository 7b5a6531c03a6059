import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from '../test/support/embedded-postgres.ts';
import { processesCpuMs } from './process-tree-cpu.ts';

/**
 * The PostgreSQL server the `postgres` benchmark mode measures on: `BENCH_DATABASE_URL` (its user must
 * be allowed to create databases), or an embedded PostgreSQL started for the run with its durability
 * settings on (fsync, synchronous commit: a commit waits for its WAL flush, as in production). Each
 * measurement gets a database of its own, dropped after it.
 */
export class BenchPostgres {
  private constructor(
    readonly adminUrl: string,
    /** The postmaster's pid when this machine runs the server (embedded); null for BENCH_DATABASE_URL. */
    readonly postmasterPid: number | null,
    private readonly embedded: EmbeddedPostgresServer | null,
  ) {}

  /** `settings`: more server settings of the embedded server (e.g. pg_stat_statements to count statements). */
  static async open(externalUrl = process.env.BENCH_DATABASE_URL, settings?: Record<string, string>): Promise<BenchPostgres> {
    if (externalUrl) return new BenchPostgres(externalUrl, null, null);
    const server = await startEmbeddedPostgres({ durable: true, settings });
    // postmaster.pid: its first line is the postmaster's pid.
    const pid = Number(readFileSync(`${server.dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
    return new BenchPostgres(server.url, pid, server);
  }

  /** Where the server runs, for the report. */
  describe(): string {
    if (!this.embedded) return `BENCH_DATABASE_URL (${new URL(this.adminUrl).host}; its CPU is not measured)`;
    return 'an embedded PostgreSQL on this machine (fsync and synchronous_commit on)';
  }

  /** A new empty database; its URL. */
  async freshDatabase(label: string): Promise<string> {
    const name = `pf_bench_${label.replace(/\W/g, '_')}_${randomBytes(3).toString('hex')}`;
    await this.admin((c) => c.query(`create database ${name}`));
    const url = new URL(this.adminUrl);
    url.pathname = `/${name}`;
    return url.toString();
  }

  async dropDatabase(url: string): Promise<void> {
    await this.admin((c) => c.query(`drop database if exists ${new URL(url).pathname.slice(1)} with (force)`));
  }

  /** CPU time the whole cluster (postmaster and every backend, past and present) used so far, in ms; null when not on this machine. */
  cpuMs(): number | null {
    return this.postmasterPid === null ? null : processesCpuMs([this.postmasterPid]);
  }

  async close(): Promise<void> {
    await this.embedded?.destroy();
  }

  private async admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client(this.adminUrl);
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }
}
