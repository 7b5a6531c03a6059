import { CompiledQuery, type Compilable } from 'kysely';

/** Stands in for a named parameter while the query is compiled; no stored value starts with NUL. */
const MARK = '\u0000partnerflow-param:';

/**
 * A Kysely query compiled once, with named parameters bound at each execution. Building and compiling
 * a query costs more than SQLite takes to run a short one, and the store's hot statements run
 * thousands of times a second with the same shape. The query is still written with Kysely's typed
 * builder, one definition for SQLite and PostgreSQL:
 *
 *   const byId = new PreparedQuery<{ id: string }, RunRow>((p) => db.selectFrom('runs').selectAll().where('id', '=', p('id')));
 *   byId.parameters({ id: 'run_1' }); // ['run_1']
 *
 * Values written literally in the builder stay as compiled; `p(name)` marks the slots to fill.
 */
export class PreparedQuery<P extends object, Row = unknown> {
  readonly sql: string;
  readonly #slots: ReadonlyArray<{ name: keyof P } | { value: unknown }>;

  constructor(build: (param: <K extends keyof P>(name: K) => P[K]) => Compilable<Row>) {
    const compiled = build((name) => `${MARK}${String(name)}` as never).compile();
    this.sql = compiled.sql;
    this.#slots = compiled.parameters.map((value) =>
      typeof value === 'string' && value.startsWith(MARK) ? { name: value.slice(MARK.length) as keyof P } : { value },
    );
  }

  parameters(values: P): unknown[] {
    const out = new Array<unknown>(this.#slots.length);
    for (let i = 0; i < out.length; i++) {
      const slot = this.#slots[i]!;
      if ('name' in slot) {
        const value = values[slot.name];
        if (value === undefined) throw new Error(`no value for parameter "${String(slot.name)}" of: ${this.sql}`);
        out[i] = value;
      } else out[i] = slot.value;
    }
    return out;
  }

  compile(values: P): CompiledQuery<Row> {
    return CompiledQuery.raw(this.sql, this.parameters(values)) as CompiledQuery<Row>;
  }
}
