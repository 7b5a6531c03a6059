import { z } from 'zod';
import { defineAction, defineConnector, defineEvent, silentLog, type ConnectorDefinition, type Logger } from '../../connectors/kit/define-connector.ts';
import { Recipe, type RecipeInput } from '../../schemas/recipe.ts';
import { openSqliteStore } from '../../server/store/sqlite-store.ts';
import type { Store } from '../../server/store/store.ts';
import { VirtualClock } from '../../server/engine/clock.ts';
import { ConnectorCatalog } from '../../server/engine/connector-registry.ts';
import { Engine, newRunId } from '../../server/engine/engine.ts';
import type { RunId } from '../../server/engine/ids.ts';
import type { WorkerSlots } from '../../server/engine/worker-slots.ts';
import { RecipeSet, loadedRecipe } from '../../server/engine/recipe-set.ts';
import { createTables, type Row } from '../../server/engine/tables.ts';
import type { LifecycleListener } from '../../server/engine/lifecycle-events.ts';

/** A logger that keeps quiet in tests. */
export { silentLog };

/**
 * A stand-in external system for engine tests: what its actions did is visible in `effects`, the way a
 * user would see records appear in a real system.
 */
export class FakeSystem {
  effects: Array<{ key: string; value: unknown }> = [];
  /** Failures still to return, per action, before it succeeds. */
  failures = new Map<string, Array<Error & { retryable?: boolean; retryAfterMs?: number }>>();

  failNext(action: string, ...errors: Array<Error & { retryable?: boolean; retryAfterMs?: number }>): void {
    this.failures.set(action, [...(this.failures.get(action) ?? []), ...errors]);
  }

  take(action: string): void {
    const next = this.failures.get(action)?.shift();
    if (next) throw next;
  }

  /** Calls of `slow` with these keys wait until released: a remote system that takes its time. */
  readonly #held = new Map<string, { answered: Promise<void>; release: () => void }>();
  hold(key: string): () => void {
    let release!: () => void;
    const answered = new Promise<void>((resolve) => (release = resolve));
    this.#held.set(key, { answered, release });
    return release;
  }
  async answer(key: string): Promise<void> {
    await this.#held.get(key)?.answered;
  }
}

export function retryableError(message: string, retryAfterMs?: number): Error & { retryable: boolean; retryAfterMs?: number } {
  return Object.assign(new Error(message), { retryable: true, retryAfterMs });
}

export function permanentError(message: string): Error & { retryable: boolean } {
  return Object.assign(new Error(message), { name: 'BadRequestError', retryable: false });
}

/** A connector named `fake` whose actions write to a FakeSystem. */
export function fakeConnector(system: FakeSystem) {
  return defineConnector({
    name: 'fake',
    description: 'test system',
    config: z.object({}),
    env: {},
    connect: () => system,
    actions: {
      record: defineAction({
        description: 'records a value under a key',
        input: z.object({ key: z.string(), value: z.unknown().optional(), api_key: z.string().optional(), pin: z.string().optional() }).strict(),
        output: z.object({ recorded: z.string() }),
        idempotent: true,
        // A secret whose name does not say so: only the action's declaration keeps it out of the journal.
        secretInputs: ['pin'],
        async run(input, ctx) {
          system.take('record');
          system.effects.push({ key: input.key, value: input.value });
          return { recorded: `${input.key}@${ctx.idempotencyKey}` };
        },
      }),
      create: defineAction({
        description: 'creates a record; not safe to repeat (no idempotency key)',
        input: z.object({ key: z.string() }).strict(),
        output: z.object({ created: z.string() }),
        async run(input) {
          system.take('create');
          system.effects.push({ key: input.key, value: 'created' });
          return { created: input.key };
        },
      }),
      slow: defineAction({
        description: 'records a key once the system answers (see FakeSystem.hold); an aborted call gives up, as an HTTP call does',
        input: z.object({ key: z.string() }).strict(),
        output: z.object({ recorded: z.string() }),
        idempotent: true,
        async run(input, ctx) {
          const aborted = new Promise<never>((_, reject) => {
            if (ctx.signal.aborted) reject(ctx.signal.reason);
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
          });
          await Promise.race([system.answer(input.key), aborted]);
          system.effects.push({ key: input.key, value: 'answered' });
          return { recorded: input.key };
        },
      }),
      record_each: defineAction({
        description: 'records each key in turn, resumably (as the D25 recall): keeps the keys done with saveProgress, and a later attempt skips them and reports them too',
        input: z.object({ keys: z.array(z.string()) }).strict(),
        output: z.object({ done: z.array(z.string()) }),
        idempotent: true,
        async run(input, ctx) {
          const done = [...((ctx.progress as { done?: string[] } | undefined)?.done ?? [])];
          for (const key of input.keys) {
            if (done.includes(key)) continue;
            system.take(`record_each:${key}`);
            system.effects.push({ key, value: ctx.progress === undefined ? 'first attempt' : 'later attempt' });
            done.push(key);
            await ctx.saveProgress?.({ done });
          }
          return { done };
        },
      }),
      read: defineAction({
        description: 'reads the values recorded so far; changes nothing (readOnly)',
        input: z.object({ prefix: z.string().optional() }).strict(),
        output: z.object({ values: z.array(z.unknown()) }),
        idempotent: true,
        readOnly: true,
        async run(input) {
          system.take('read');
          return { values: system.effects.filter((e) => e.key.startsWith(input.prefix ?? '')).map((e) => e.value) };
        },
      }),
      record_after_start: defineAction({
        description: "records a value once the step's start is stored (startsWithItsWrite, as email.send)",
        input: z.object({ key: z.string(), value: z.unknown().optional() }).strict(),
        output: z.object({ recorded: z.string() }),
        idempotent: true,
        startsWithItsWrite: true,
        async run(input, ctx) {
          await ctx.started?.();
          system.take('record_after_start');
          system.effects.push({ key: input.key, value: input.value });
          return { recorded: input.key };
        },
      }),
      echo: defineAction({
        description: 'returns its input',
        input: z.object({ value: z.unknown() }).strict(),
        output: z.object({ value: z.unknown() }),
        idempotent: true,
        async run(input) {
          system.take('echo');
          return { value: input.value };
        },
      }),
    },
    events: {
      'thing.happened': defineEvent({
        description: 'a thing happened',
        data: z.object({ id: z.string(), status: z.string().optional() }).passthrough(),
        correlate: (data) => data.id,
      }),
    },
  });
}

export interface EngineFixture {
  engine: Engine;
  store: Store;
  clock: VirtualClock;
  system: FakeSystem;
  close(): Promise<void>;
}

/** An engine on an in-memory store and a virtual clock, serving the given recipes. */
export async function engineFixture(
  recipes: RecipeInput[],
  options: {
    tables?: Record<string, Row[]>;
    calendar?: unknown;
    store?: Store;
    clock?: VirtualClock;
    concurrency?: number;
    maxConcurrency?: number;
    slots?: WorkerSlots;
    workerId?: string;
    leaseMs?: number;
    /** The worker's poll (real ms); on PostgreSQL a safety net only. */
    pollMs?: number;
    log?: Logger;
    onLifecycle?: LifecycleListener;
    /** Connectors beside `fake` (another webhook source). */
    connectors?: ConnectorDefinition[];
  } = {},
): Promise<EngineFixture> {
  const clock = options.clock ?? new VirtualClock('2026-03-02T09:00:00Z');
  const store = options.store ?? (await openSqliteStore({ path: ':memory:' }));
  const system = new FakeSystem();
  const catalog = new ConnectorCatalog([fakeConnector(system), ...(options.connectors ?? [])]);
  const set = new RecipeSet(recipes.map((r) => loadedRecipe(Recipe.parse(r), `${r.name}.recipe.json`)), store);
  await set.persist(clock.now());
  const tables = createTables(options.tables ?? {}, options.calendar);
  const engine = new Engine({
    store,
    clock,
    recipes: set,
    connectors: catalog.connect({}, { clock, log: silentLog, store, publicBaseUrl: 'http://localhost:3000', timezone: tables.calendar.timezone }),
    tables,
    log: options.log ?? silentLog,
    random: () => 1,
    ...(options.onLifecycle === undefined ? {} : { onLifecycle: options.onLifecycle }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.workerId === undefined ? {} : { workerId: options.workerId }),
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
    ...(options.maxConcurrency === undefined ? {} : { maxConcurrency: options.maxConcurrency }),
    ...(options.slots === undefined ? {} : { slots: options.slots }),
  });
  return {
    engine,
    store,
    clock,
    system,
    close: async () => {
      await engine.stop();
      await store.close();
    },
  };
}

/**
 * Stores a run of `recipe` (default `test-recipe`), due now on the fixture's clock, as a webhook
 * delivery `key` (its trigger data `{ id: key }`) would; `at`: another time (a real clock's). Returns its id.
 */
export async function createDueRun(fx: Pick<EngineFixture, 'engine' | 'store'> & { clock?: { now(): number } }, options: { key: string; recipe?: string; at?: number }): Promise<RunId> {
  const recipe = options.recipe ?? 'test-recipe';
  const loaded = fx.engine.recipes.get(recipe)!;
  const now = options.at ?? fx.clock!.now();
  const { id } = await fx.store.createRun({
    id: newRunId(now), recipe, recipeVersion: 1, recipeHash: loaded.hash,
    trigger: { type: 'webhook', receivedAt: now, data: { id: options.key } },
    dedupKey: options.key, correlationKey: null, cancelOnEvent: null, wakeAt: now, createdAt: now,
  });
  return id;
}

/** A webhook recipe on `fake.thing.happened` with the given steps. */
export function recipeWith(steps: RecipeInput['steps'], extra: Partial<RecipeInput> = {}): RecipeInput {
  return { name: 'test-recipe', version: 1, description: 'a recipe under test', trigger: { type: 'webhook', event: 'fake.thing.happened' }, steps, ...extra };
}
