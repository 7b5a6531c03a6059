import type Sqlite from 'better-sqlite3';

/**
 * Kysely's SQLite driver prepares every statement it runs, and preparing costs more than running a
 * short insert: under webhook load it was the second largest item of the profile. The query builder
 * produces the same SQL text for the same query shape, so prepared statements are kept by their text
 * (a bounded set; shapes with a variable number of parameters are few).
 */
export function cachePreparedStatements(db: Sqlite.Database, limit = 1000): Sqlite.Database {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, Sqlite.Statement>();
  db.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (!statement) {
      statement = prepare(source);
      if (cache.size >= limit) cache.delete(cache.keys().next().value!);
      cache.set(source, statement);
    }
    return statement;
  }) as typeof db.prepare;
  return db;
}
