import type { z } from 'zod';
import type { Clock } from '../../server/engine/clock.ts';
import type { Choices } from '../../server/engine/expression-choices.ts';
import type { IdempotencyKey, RunId } from '../../server/engine/ids.ts';
import type { OutboxSentRecord, Store } from '../../server/store/store.ts';
import type { Tables } from '../../server/engine/tables.ts';

/** The minimal logger connectors use (pino satisfies it). Never pass secrets in `fields`. */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
  /** pino's: lets a caller skip building a line nobody will see. */
  isLevelEnabled?(level: string): boolean;
}

/** A logger that says nothing: where a caller gave none (a listener in a test, a scenario's engine). */
export const silentLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** What the runtime hands every connector when it is connected. */
export interface ConnectorDeps {
  clock: Clock;
  log: Logger;
  /** The runtime's store: the email outbox and approval links live there. */
  store: Store;
  /** Public base URL of this runtime (from configuration, never from a request's Host header). */
  publicBaseUrl: string;
  /** The business calendar's time zone: times shown to people (an approval link's expiry) are written in it. */
  timezone: string;
  /** Another connector's connection (the approval connector sends through the email one). */
  connection<T = unknown>(connectorName: string): T;
  /** Starts a run of a recipe once per `dedupKey` (the `runs` connector); absent where no engine runs. */
  startRun?(recipe: string, data: unknown, options: { dedupKey: string }): Promise<{ id: string; created: boolean }>;
  /**
   * Aborted when the runtime shuts down (SIGTERM): an HTTP client given it (`HttpClientOptions.stopping`)
   * starts no further attempt of a call and no retry wait. Absent where nothing shuts down.
   */
  stopping?: AbortSignal;
  /** Delivers a record the runtime wrote as its system's event (`runs.announce_write`); absent where no engine runs. */
  announceWrite?(source: string, event: string, data: unknown, deliveryId: string): Promise<{ runIds: string[]; duplicate: boolean }>;
}

/** What an action receives besides its input. */
export interface ActionContext<Connection> {
  connection: Connection;
  /** `<run id>:<step key>`: the same across retries and crash recovery of one step. */
  idempotencyKey: IdempotencyKey;
  runId: RunId;
  clock: Clock;
  log: Logger;
  signal: AbortSignal;
  /** Adds a line to the step's journal entry (e.g. "waited 4.2 s for Marketo rate budget"). */
  note(line: string): void;
  /**
   * What earlier attempts of this step kept with `saveProgress` (the last value), or undefined on a
   * first attempt. A resumable action that skips what an earlier attempt did (the D25 recall: leads
   * with a Recalled Date) starts its report from it, so the report covers every attempt, not the last.
   */
  progress?: unknown;
  /**
   * Keeps `progress` (JSON) with the step's journal entry, written now: the step's next attempt gets it
   * as `progress`, after a failure, a wait that spends no attempt (Marketo's daily quota) or a crash of
   * this one. For actions that are not `readOnly`. Absent where no engine runs the action.
   */
  saveProgress?(progress: unknown): Promise<void>;
  /**
   * Hands the engine a record to write with the step's next journal entry, in the same commit (the
   * outbox's `sent` mark goes with email.send's `completed` entry: one commit, not two). `stored` is
   * told whether that commit happened. Absent where no engine runs the action: it writes the record itself.
   */
  withStepEntry?(write: StepEntryWrite): void;
  /**
   * Set for an action that declares `startsWithItsWrite`: resolves once the step's `running` entry is
   * stored, rejects when it could not be (the run's lease is gone, the store failed). The action awaits
   * it before any outside effect.
   */
  started?(): Promise<void>;
  /**
   * The lease of the turn that runs the action (`<worker id>~<nonce>`), as its journal writes are fenced
   * with it. Not the run's lease as the store has it now: after a takeover that is another replica's.
   * Absent where no engine runs the action.
   */
  leaseOwner?: string;
  /**
   * The tables ops maintain, as a `lookup` step reads them now: an action that reads a system and a
   * table in one step (mdf.approver_for_request) reads both again when ops retry it after correcting
   * either. Absent where no engine runs the action.
   */
  tables?: Pick<Tables, 'rows'>;
}

/** A store write that goes with a step's journal entry (ActionContext.withStepEntry). */
export interface StepEntryWrite {
  outboxSent: OutboxSentRecord;
  stored(ok: boolean): void;
}

export interface ActionDefinition<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType, Connection = unknown> {
  description: string;
  input: I;
  output: O;
  /**
   * True when doing it twice has the effect of doing it once (reads, upserts by external id, setting a
   * status, an outbox send keyed by the idempotency key). Only idempotent actions are retried after an
   * error that leaves it unknown whether the call took effect.
   * @default false
   */
  idempotent?: boolean;
  /**
   * True when it only reads (a list, a lookup): no outside effect at all, so repeating it changes
   * nothing. The engine then journals no `running` entry before the call and stores its result with
   * the run's next write, which comes before any outside effect (as for control steps): a crash
   * before then reads again. Saves a read in a loop two durable commits (the D23 digest: 1,000
   * partners, 2,000 commits). Implies idempotent.
   * @default false
   */
  readOnly?: boolean;
  /**
   * True when the action awaits `ctx.started()` before any outside effect. The engine then asks for
   * the step's `running` entry without waiting for it before the call, so that it goes to the store
   * in the same group commit as the action's own first write: email.send's `running` entry and its
   * outbox message taken for sending in one commit, not two (D23: 1,000 digests, 1,000 commits fewer).
   * @default false
   */
  startsWithItsWrite?: boolean;
  /**
   * The input field naming the `wait_for` signal this action's outcome resumes the run with
   * (approval.request: `signal`, the approver's decision). Validation pairs it with the recipe's
   * `wait_for` signals: a decision no wait takes would be lost, and a wait nothing answers only times out.
   * @default none: the action sends no signal
   */
  signalInput?: string;
  /**
   * A `poll` action's start (connectors/kit/poll-page.ts): where a recipe's first poll reads from when
   * the store holds no watermark yet, from the recipe's input (its `start_at`) and the time of that
   * first try (epoch ms). The poll runtime stores it as the watermark before the first call, so the
   * action is never asked with a null `since`, and a first poll that fails is tried again from the
   * same start (nothing changed meanwhile is skipped).
   * @default none: the first poll is asked with `since` null (the action decides what that reads)
   */
  pollStart?: (input: z.output<I>, now: number) => string;
  /**
   * The input field naming the ops table the action reads through `ctx.tables` (mdf.approver_for_request:
   * `table`; its schema's default when a recipe leaves it out). Validation refuses a table TABLES_DIR
   * lacks, as it does a lookup's, and the console names it among the tables the recipe reads.
   * @default none: the action reads no table
   */
  tableInput?: string;
  /** Input fields whose values never reach logs or the journal. */
  secretInputs?: readonly string[];
  /**
   * Other connectors whose connections this action calls (approval.request sends through email): a
   * recipe that uses the action needs them configured too, and the start says so.
   */
  uses?: readonly string[];
  /**
   * Checks a recipe's input mapping against what the runtime has (a template file, a folder) before
   * any run, so `validate`, `partnerflow test` and the start refuse a recipe that would fail at this
   * step. Gets the mapping as written: a `{% … %}` value is unknown until run time, and is judged only
   * by what is written in it (the template names of `c ? 'a' : 'b'`), never by a guess at the rest.
   * `step` is the action step whose input it is (none for a poll trigger's input), for messages.
   */
  checkInput?(input: unknown, context: ActionInputContext, step?: { id: string }): ActionInputProblem[];
  /**
   * Never changes `input` or the objects in it: the journal holds them as they are (redaction copies only
   * what has secrets) and may serialize them after the call began (`startsWithItsWrite`, held-back reads).
   */
  run(input: z.output<I>, ctx: ActionContext<Connection>): Promise<z.input<O>>;
}

/** What an action's `checkInput` may consult. */
export interface ActionInputContext {
  /** A connector's settings as the runtime would connect it (validated); undefined when unknown. */
  config(connectorName: string): unknown;
  /**
   * What the recipe and its tables say a value of the run's scope can be where `step` runs: a
   * `$vars.<name>` that earlier `set` steps give, a `$steps.<lookup>.<column>` (every row of the table
   * the lookup can read), each string with where it comes from; undefined where they do not say (the
   * event's data, an action's output). Absent where no recipe is at hand: nothing is followed then.
   */
  valuesAt?(step: { id: string }, path: readonly string[]): Choices | undefined;
}

/** A problem `checkInput` found; `path` is relative to the step's `input`. */
export interface ActionInputProblem {
  path: readonly PropertyKey[];
  message: string;
  /** For an unknown name: the known ones, so the validator can suggest the closest. */
  unknownName?: { name: string; known: readonly string[] };
}

export interface EventDefinition<D extends z.ZodType = z.ZodType> {
  description: string;
  /** The schema of the event's `data`; a delivery that fails it is refused with 400 and not stored. */
  data: D;
  /** The business key runs correlate on (e.g. the MDF number), used by `cancel_on` and `wait_for` events. */
  correlate?: (data: z.output<D>) => string | null;
}

export interface ConnectorDefinition<Config extends z.ZodType = z.ZodType, Connection = unknown> {
  /** The prefix of its actions and events in recipes: `prm` in `prm.get_mdf_request`. */
  name: string;
  description: string;
  /**
   * Configuration read from the environment: each key of the schema's shape is read from the variable
   * named in `env`. Validated at start; a missing or bad value names the variable.
   */
  config: Config;
  env: { [K in keyof z.input<Config>]-?: string };
  /**
   * The runtime itself needs it whether or not a recipe uses it (approval: the HTTP layer checks
   * approval links), so its variables are required at every start. Any other connector none of whose
   * variables is set is "not configured", and only a recipe that uses it stops the start.
   */
  neededByRuntime?: boolean;
  /**
   * Another way to configure it, said after the variables a recipe's start asks for when it is not
   * configured (email: "EMAIL_SMTP_URL for an SMTP relay instead of EMAIL_API_URL and EMAIL_SERVER_TOKEN").
   * @default none
   */
  otherwiseConfigured?: string;
  /** Settings used by `serve --mock` and the harness, pointing at the simulated system. */
  mockConfig?: z.input<Config>;
  /** Builds the live connection (HTTP client, token cache, rate limiter) once per runtime. */
  connect(config: z.output<Config>, deps: ConnectorDeps): Connection;
  actions: Record<string, ActionDefinition<z.ZodType, z.ZodType, Connection>>;
  /** Events this system delivers to `POST /webhooks/<name>`, keyed by name without the prefix. */
  events?: Record<string, EventDefinition>;
  /**
   * Its webhooks are an optional feature: without `WEBHOOK_SECRET_<NAME>` outside mock mode the runtime
   * starts and `POST /webhooks/<name>` answers 404, instead of the start being refused.
   */
  webhooksOptional?: boolean;
}

/**
 * Declares a connector. The identity function exists for its types: action `run` functions get typed
 * input and connection, and the returned definition is checked against the kit's contract.
 */
export function defineConnector<Config extends z.ZodType, Connection>(
  definition: ConnectorDefinition<Config, Connection>,
): ConnectorDefinition<Config, Connection> {
  for (const actionName of Object.keys(definition.actions)) {
    if (!/^[a-z][a-z0-9_]*$/.test(actionName)) {
      throw new Error(`connector ${definition.name}: action name "${actionName}" must be snake_case`);
    }
  }
  return definition;
}

/** Declares one action with its input and output types inferred from the schemas. */
export function defineAction<I extends z.ZodType, O extends z.ZodType, Connection>(
  action: ActionDefinition<I, O, Connection>,
): ActionDefinition<z.ZodType, z.ZodType, Connection> {
  return action as unknown as ActionDefinition<z.ZodType, z.ZodType, Connection>;
}

/** Declares one event with `correlate` typed by the event's data schema. */
export function defineEvent<D extends z.ZodType>(event: EventDefinition<D>): EventDefinition {
  return event as unknown as EventDefinition;
}
