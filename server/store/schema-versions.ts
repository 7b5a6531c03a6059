import { Migrator, sql, type Kysely, type MigrationProvider, type MigrationResultSet } from 'kysely';
import { StartStoppedError } from '../start-stop.ts';

/**
 * The database was migrated by a line of versions this one does not belong to: it has migrations this
 * version does not know AND lacks some it knows. Not a rolling deploy (a newer version has every
 * migration of this one, and more): running on it, or migrating it, could only go wrong.
 */
export class SchemaMismatchError extends Error {
  override name = 'SchemaMismatchError';
  constructor(
    readonly unknown: string[],
    readonly missing: string[],
  ) {
    super(
      `has migrations this version does not know (${unknown.join(', ')}) and lacks ones it needs (${missing.join(', ')}): ` +
        'it was migrated by another line of versions, not a newer release of this one; start the version that migrated it, or restore a backup made with this one',
    );
  }
}

/** What opening the store did to the schema: the migrations it applied, or the newer ones it runs on. */
export interface SchemaOutcome {
  /** Migrations this open applied (none when another process had, or the schema was current). */
  applied: string[];
  /** Migrations of a newer version already in the database: this version runs on them, unmigrated. */
  newer: string[];
}

/** The warning an older version logs when it starts on a newer schema (README, "Running several replicas"). */
export function newerSchemaWarning(newer: string[]): string {
  return `this version is older than the database schema (it has ${newer.join(', ')}, which this version does not know); it runs on it as the README's rolling deploy explains, and does not migrate`;
}

/**
 * Brings the schema to this version's latest migration, unless a newer version already went further.
 * Kysely's migrator refuses a history with a migration it does not know ("corrupted migrations"), which
 * would keep an old replica from starting during a rolling deploy or a rollback. So the history is read
 * first: every known migration plus newer ones is a newer schema, run on as it is (a migration must
 * leave the previous version working); unknown ones with known ones missing is a SchemaMismatchError;
 * otherwise the migrator runs. Read again when the migrator fails: a newer replica may have migrated
 * between the read and the migrator's lock.
 */
export async function migrateUnlessNewer(db: Kysely<any>, provider: MigrationProvider, migrationTableSchema?: string): Promise<SchemaOutcome> {
  const known = Object.keys(await provider.getMigrations());
  const before = compare(await appliedMigrations(db, migrationTableSchema), known);
  if (before) return { applied: [], newer: before };
  const result: MigrationResultSet = await new Migrator({ db, provider, ...(migrationTableSchema ? { migrationTableSchema } : {}) }).migrateToLatest();
  if (result.error) {
    // A signal stopped the start before any migration ran (the wait for the lock): nothing to read again.
    if (result.error instanceof StartStoppedError) throw result.error;
    const applied = await appliedMigrations(db, migrationTableSchema).catch(() => null);
    const after = applied && compare(applied, known);
    if (after) return { applied: [], newer: after };
    throw Object.assign(result.error instanceof Error ? result.error : new Error(String(result.error)), {
      failedMigration: result.results?.find((r) => r.status === 'Error')?.migrationName ?? null,
    });
  }
  return { applied: (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName), newer: [] };
}

/** The newer migrations when the history is this version's plus newer ones; null when there are none; throws on a mismatch. */
function compare(applied: string[], known: string[]): string[] | null {
  const unknown = applied.filter((name) => !known.includes(name));
  if (unknown.length === 0) return null;
  const missing = known.filter((name) => !applied.includes(name));
  if (missing.length > 0) throw new SchemaMismatchError(unknown, missing);
  return unknown;
}

/** The names in Kysely's migration table, none when it does not exist yet (a new database). */
async function appliedMigrations(db: Kysely<any>, schema: string | undefined): Promise<string[]> {
  const table = schema ? sql.table(`${schema}.kysely_migration`) : sql.table('kysely_migration');
  try {
    const { rows } = await sql<{ name: string }>`select name from ${table}`.execute(db);
    return rows.map((row) => row.name);
  } catch (error) {
    // PostgreSQL's undefined_table, SQLite's "no such table": nothing migrated yet.
    if ((error as { code?: unknown }).code === '42P01' || /no such table/i.test((error as Error).message)) return [];
    throw error;
  }
}
