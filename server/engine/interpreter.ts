import type { z } from 'zod';
import type { ActionStep, Delay, ForeachStep, IfStep, LookupStep, Recipe, Step, StepDelay, WaitForStep, WaitStep } from '../../schemas/recipe.ts';
import type { Logger, StepEntryWrite } from '../../connectors/kit/define-connector.ts';
import { STOPPED_BY_RECIPE, type JournalEntry, type Run, type RunError, type Store, type WaitSpec } from '../store/store.ts';
import { DEFAULT_RETRY, backoffDelay } from './backoff.ts';
import { nextAttemptWithin } from './retry-budget.ts';
import type { Clock } from './clock.ts';
import type { ConnectedConnectors } from './connector-registry.ts';
import { delayEnd, resolveStepDelay } from './delay.ts';
import { LeaseLostError, LookupMissError, LookupRowsRepeatedError, StepInputError, isOutcomeUnknown, isRetryable, isStoppedBeforeAttempt, isWaitNotAttempt, retryAfterOf } from './errors.ts';
import { evaluateExpression, evaluateMapping, isExpression, runScopeOf, type ExpressionEnv, type ExpressionScope } from './expression.ts';
import { asStepKey, idempotencyKeyFor, type StepKey } from './ids.ts';
import { redact } from './redact.ts';
import { hasNul, NUL_REFUSAL } from './nul-keys.ts';
import { sameValue } from './same-value.ts';
import type { Tables } from './tables.ts';
import { refOf, type LifecycleListener } from './lifecycle-events.ts';
import { TRIGGER_EXPRESSION_ERROR } from './webhook-trigger.ts';
import { computedKey } from './computed-key.ts';
import { parkFor, type BusySystem } from './worker-slots.ts';
import { describeInputIssues } from './input-issues.ts';

/** What a turn needs from the runtime. */
export interface InterpreterDeps {
  store: Store;
  clock: Clock;
  connectors: ConnectedConnectors;
  tables: Tables;
  log: Logger;
  random?: () => number;
  /** Aborted when the turn lost its lease: the action under way is cut off. */
  signal: AbortSignal;
  /** Told when a timer of the run fires (engine/lifecycle-events.ts). */
  onLifecycle?: LifecycleListener;
  /**
   * True once the runtime shuts down (SIGTERM): the turn starts no further action and leaves the run
   * due at once, where it stopped, for the next start or another replica. Everything before is journaled.
   */
  draining?: () => boolean;
  /**
   * True for a run this turn's caller has just stored and leased itself (a webhook's run leased at
   * intake): nothing can have journaled it yet, so its journal is not read (a round trip on PostgreSQL).
   */
  newRun?: boolean;
  /**
   * The system an action would call, when it already has half the worker's turns waiting on it
   * (WorkerSlots.busySystem): the action is not started, and the run is parked (due again a little
   * later, or when that system answers), so that runs calling other systems get the worker's turns.
   */
  busySystem?: (action: string) => BusySystem | undefined;
}

/** A run parked on a busy system: the system, when the run first became due, the calls that made the system busy. */
interface Parked extends BusySystem {
  since: number;
}

/** How a sequence of steps ended in this turn. */
type Flow =
  | { kind: 'next' }
  /** `again`: the run was already waiting there, for the same deadline, before this turn (no progress). */
  | { kind: 'suspend'; wakeAt: number | null; step: StepKey; retry?: true; again?: true; paused?: true; parked?: Parked }
  | { kind: 'stop'; status: 'completed' | 'failed' | 'canceled'; reason?: string }
  | { kind: 'fail'; error: RunError };

export interface TurnResult {
  status: 'completed' | 'failed' | 'canceled' | 'waiting';
  wakeAt: number | null;
  error: RunError | null;
  /** Journal entries still held back; the engine writes them with the turn's outcome. */
  journal: JournalEntry[];
  /** The step a waiting run waits on (for the lifecycle log). */
  waitingOn?: string;
  /** The run waits where it waited before the turn, for the same deadline: the log said so already. */
  waitingAsBefore?: boolean;
  /** The turn parked the run on a busy system (InterpreterDeps.busySystem) instead of calling it. */
  parked?: { system: string; since: number };
}

const NEXT: Flow = { kind: 'next' };

/**
 * Runs one turn of a run: replays the recipe from the top, taking every journaled step's recorded
 * result instead of running it again, and executes steps until the run ends or must wait. Replay is
 * what makes a crash harmless: whatever was journaled is never repeated, and the step that was in
 * flight runs again with the same idempotency key. See ARCHITECTURE.md.
 */
export async function runTurn(run: Run, recipe: Recipe, owner: string, deps: InterpreterDeps): Promise<TurnResult> {
  if (run.trigger.expressionError !== undefined) {
    return { status: 'failed', wakeAt: null, error: { name: TRIGGER_EXPRESSION_ERROR, message: run.trigger.expressionError }, journal: [] };
  }
  const journal = new Map(deps.newRun ? [] : (await deps.store.getJournal(run.id)).map((e) => [e.stepKey as string, e]));
  const turn = new Turn(run, owner, journal, deps);
  const scope: ExpressionScope = {
    trigger: { ...run.trigger, data: run.trigger.data, received_at: new Date(run.trigger.receivedAt).toISOString() },
    steps: {},
    vars: {},
    run: runScopeOf(run),
  };
  let flow = await turn.sequence(recipe.steps, '', scope);
  if (flow.kind === 'fail' && recipe.on_error) {
    const failure = flow;
    // The recipe's on_error sees how the failed step ended: after how many attempts, since when, so
    // that ops' email says what happened (retried for 12 hours, or stopped at its first attempt).
    const failed = failure.error.stepKey === undefined ? undefined : journal.get(failure.error.stepKey);
    const tried = failed ? { attempts: failed.attempts, first_attempt_at: new Date(failed.startedAt).toISOString(), failed_at: new Date(failed.finishedAt ?? turn.now).toISOString() } : {};
    const handled = await turn.sequence(recipe.on_error.steps, 'on_error.', { ...scope, error: { ...failure.error, ...tried } });
    if (handled.kind === 'suspend') flow = handled;
    else if (handled.kind === 'fail') flow = { kind: 'fail', error: { ...failure.error, message: `${failure.error.message} (and on_error failed: ${handled.error.message})` } };
  }
  const heldBack = turn.heldBack();
  switch (flow.kind) {
    case 'next':
      return { status: 'completed', wakeAt: null, error: null, journal: heldBack };
    case 'stop':
      return {
        status: flow.status,
        wakeAt: null,
        error: flow.status === 'failed' ? { name: STOPPED_BY_RECIPE, message: flow.reason ?? 'stopped by the recipe' } : null,
        journal: heldBack,
      };
    case 'suspend':
      if (flow.parked) {
        const { system, since, calls } = flow.parked;
        return {
          status: 'waiting',
          wakeAt: flow.wakeAt,
          error: null,
          journal: heldBack,
          waitingOn: `${flow.step} (parked, not called: ${calls} turns wait on ${system})`,
          parked: { system, since },
          // Parked again on the same system: the log said so when it was first parked.
          ...(run.parkedOn === system ? { waitingAsBefore: true } : {}),
        };
      }
      return {
        status: 'waiting',
        wakeAt: flow.wakeAt,
        error: null,
        journal: heldBack,
        waitingOn: flow.paused ? `${flow.step} (paused: the runtime shut down before it)` : flow.retry ? `${flow.step} (its next attempt)` : flow.step,
        ...(flow.again ? { waitingAsBefore: true } : {}),
      };
    case 'fail':
      return { status: 'failed', wakeAt: null, error: flow.error, journal: heldBack };
  }
}

class Turn {
  readonly #env: ExpressionEnv;
  /**
   * Entries of steps with no effect outside the run (lookup, set, if, foreach), not yet written. They go
   * to the store with the next write, which comes before any outside effect, or with the turn's outcome:
   * one commit instead of one per step. A crash before then loses nothing that has to be kept: the
   * steps are evaluated again, and no action had depended on them yet.
   */
  #heldBack = new Map<string, JournalEntry>();
  /** Records an action handed over to go with its step's next entry (ActionContext.withStepEntry). */
  #withNextEntry: StepEntryWrite[] = [];

  constructor(
    readonly run: Run,
    readonly owner: string,
    readonly journal: Map<string, JournalEntry>,
    readonly deps: InterpreterDeps,
  ) {
    this.#env = { clock: deps.clock, calendar: deps.tables.calendar };
  }

  get now(): number {
    return this.deps.clock.now();
  }

  heldBack(): JournalEntry[] {
    const entries = [...this.#heldBack.values()];
    this.#heldBack.clear();
    return entries;
  }

  async sequence(steps: readonly Step[], prefix: string, scope: ExpressionScope): Promise<Flow> {
    for (const step of steps) {
      const flow = await this.step(step, asStepKey(prefix + step.id), scope);
      if (flow.kind !== 'next') return flow;
    }
    return NEXT;
  }

  async step(step: Step, key: StepKey, scope: ExpressionScope): Promise<Flow> {
    switch (step.type) {
      case 'action':
        return this.action(step, key, scope);
      case 'if':
        return this.if(step, key, scope);
      case 'foreach':
        return this.foreach(step, key, scope);
      case 'lookup':
        return this.recorded(step, key, scope, () => this.lookup(step, scope));
      case 'set': {
        const flow = await this.recorded(step, key, scope, () => this.evaluate(step.values, scope) as Promise<Record<string, unknown>>);
        if (flow.kind === 'next') Object.assign(scope.vars, scope.steps[step.id] as object);
        return flow;
      }
      case 'wait':
        return this.wait(step, key, scope);
      case 'wait_for':
        return this.waitFor(step, key, scope);
      case 'stop': {
        // Journaled with its reason: a run that completes has no error to say why it ended where it did.
        const status = step.status ?? 'completed';
        const flow = await this.recorded(step, key, scope, async () => ({ status, reason: step.reason ?? null }));
        return flow.kind === 'next' ? { kind: 'stop', status, reason: step.reason } : flow;
      }
    }
  }

  // ── Action ──────────────────────────────────────────────────────────────────────────────
  async action(step: ActionStep, key: StepKey, scope: ExpressionScope): Promise<Flow> {
    const entry = this.journal.get(key);
    if (entry?.status === 'completed') {
      scope.steps[step.id] = entry.output;
      return NEXT;
    }
    if (entry?.status === 'failed') {
      if (entry.nextAttemptAt === null) return this.afterFailure(step, key, scope, entry.error!);
      if (entry.nextAttemptAt > this.now) return { kind: 'suspend', wakeAt: entry.nextAttemptAt, step: key, retry: true, again: true };
    }
    // A safe point: what ran before is journaled, this action has not started. A shutdown waits for the
    // call in flight, not for the rest of a long run (a lead import of 100 batches stops between two).
    if (this.deps.draining?.()) return { kind: 'suspend', wakeAt: this.now, step: key, paused: true };
    const resolved = this.deps.connectors.resolve(step.action);
    // A `running` entry with no attempt counted is one a shutdown left before its call was sent (below).
    if (entry?.status === 'running' && entry.attempts > 0 && !resolved.definition.idempotent) {
      // The process died during a call that is not safe to repeat: whether it took effect is unknown.
      // Failing (retry-able by an operator after checking the system) beats doing it twice.
      const failure = outcomeUnknownError(step.action, { name: 'Interrupted', message: 'it was interrupted mid-call', stepKey: key });
      await this.write({ key, step, status: 'failed', input: entry.input, output: entry.output, error: failure, attempts: entry.attempts, startedAt: entry.startedAt, finishedAt: this.now, notes: entry.notes });
      return this.afterFailure(step, key, scope, failure);
    }
    // The system this action calls already has half the worker's turns waiting on it: the action is not
    // started (nothing is written, nothing sent, no attempt spent) and the run is parked.
    const busy = this.deps.busySystem?.(step.action);
    if (busy) {
      const since = this.run.parkedSince ?? this.run.wakeAt ?? this.now;
      return { kind: 'suspend', wakeAt: this.now + parkFor(this.now - since), step: key, parked: { ...busy, since } };
    }
    const policy = { ...DEFAULT_RETRY, ...step.retry };
    // An entry left `running` means the process died mid-call: that attempt counts.
    const attempts = (entry?.attempts ?? 0) + 1;
    // A retried step keeps the start of its first attempt: the retry budget (give_up_after) counts from it.
    const startedAt = entry && (entry.status === 'failed' || entry.status === 'running') ? entry.startedAt : this.now;
    const notes: string[] = [...(entry?.notes ?? [])];
    // What earlier attempts kept (ActionContext.saveProgress): an unfinished entry's output is its progress.
    let progress: unknown = entry && (entry.status === 'failed' || entry.status === 'running') && entry.output !== null ? entry.output : undefined;
    let input: unknown;
    let journaledInput: unknown;
    let output: unknown;
    let started: Promise<void> | null = null;
    try {
      input = await this.evaluate(step.input ?? {}, scope);
      const parsed = resolved.definition.input.safeParse(input);
      if (!parsed.success) throw new StepInputError(`input of ${step.action} does not match its schema: ${describeInputIssues(parsed.error.issues, step.input ?? {})}`);
      journaledInput = redact(input, resolved.definition.secretInputs);
      // A read has no outside effect to guard: a crash mid-call reads again (see ActionDefinition.readOnly).
      if (!resolved.definition.readOnly) {
        const running = this.write({ key, step, status: 'running', input: journaledInput, output: progress, attempts, startedAt, notes: [...notes] });
        // The action awaits it before any outside effect, so that its own first write joins the commit (startsWithItsWrite).
        if (resolved.definition.startsWithItsWrite) {
          started = running;
          running.catch(() => {});
        } else await running;
      }
      const raw = await resolved.definition.run(parsed.data, {
        connection: resolved.connection,
        idempotencyKey: idempotencyKeyFor(this.run.id, key),
        runId: this.run.id,
        clock: this.deps.clock,
        log: this.deps.log,
        signal: this.deps.signal,
        note: (line) => notes.push(line),
        ...(progress === undefined ? {} : { progress }),
        ...(resolved.definition.readOnly
          ? {}
          : {
              saveProgress: async (value: unknown) => {
                if (started) await started;
                progress = value;
                await this.write({ key, step, status: 'running', input: journaledInput, inputAsStored: true, output: progress, attempts, startedAt, notes: [...notes] });
              },
            }),
        withStepEntry: (write) => this.#withNextEntry.push(write),
        ...(started ? { started: () => started! } : {}),
        leaseOwner: this.owner,
        tables: this.deps.tables,
      });
      if (started) await started;
      output = (resolved.definition.output as z.ZodType).parse(raw);
    } catch (error) {
      // The step's start could not be stored: the turn ends here, as when its write is awaited first.
      if (started) await started;
      if (error instanceof LeaseLostError) throw error;
      if (isStoppedBeforeAttempt(error)) {
        // The runtime is stopping and the call gave up waiting for rate budget: nothing was sent. As a
        // shutdown before the action: the step is left as it was before this attempt (the attempt is not
        // counted, no failure is journaled) and the run is due at once, for the next start or another
        // replica. Only its `running` entry, if one was written, is put back, with what the action kept
        // (progress) and the note saying why. An action that is not idempotent makes one call a step
        // (marketo.trigger_campaign), so nothing of it was sent either.
        // The HTTP client noted it already; an action that threw it itself did not.
        if (!notes.includes((error as Error).message)) notes.push((error as Error).message);
        if (!resolved.definition.readOnly) {
          const before = entry?.status === 'failed' ? { status: 'failed' as const, error: entry.error, nextAttemptAt: entry.nextAttemptAt, finishedAt: entry.finishedAt } : { status: 'running' as const };
          await this.write({ key, step, input: journaledInput, inputAsStored: true, output: progress, attempts: attempts - 1, startedAt, notes, ...before });
        }
        this.deps.log.info({ runId: this.run.id, step: key }, 'step not attempted: the runtime is stopping; the run goes on from this step at the next start');
        return { kind: 'suspend', wakeAt: this.now, step: key, paused: true };
      }
      if (isWaitNotAttempt(error)) {
        // Not an attempt: the step waits for another attempt's send to end, then tries again, with
        // the attempts it had (the entry keeps the count this attempt started from).
        const nextAttemptAt = this.now + (retryAfterOf(error) ?? 1000);
        notes.push(`${(error as Error).message}; trying again at ${new Date(nextAttemptAt).toISOString()} (no attempt spent)`);
        await this.write({ key, step, status: 'failed', input: journaledInput, output: progress, error: toRunError(error, key), attempts: attempts - 1, startedAt, finishedAt: this.now, nextAttemptAt, notes });
        return { kind: 'suspend', wakeAt: nextAttemptAt, step: key, retry: true };
      }
      // A call not safe to repeat that failed without a clear refusal may have taken effect.
      const unknown = !resolved.definition.idempotent && isOutcomeUnknown(error);
      const failure = unknown ? outcomeUnknownError(step.action, toRunError(error, key)) : toRunError(error, key);
      const nextAttemptAt =
        !unknown && isRetryable(error)
          ? nextAttemptWithin({ policy, attempts, firstAttemptAt: startedAt, now: this.now, delayMs: backoffDelay(attempts, policy, retryAfterOf(error), this.deps.random) })
          : null;
      const retry = nextAttemptAt !== null;
      if (retry) notes.push(`attempt ${attempts} failed (${failure.message}); next attempt at ${new Date(nextAttemptAt!).toISOString()}`);
      await this.write({ key, step, status: 'failed', input: redact(input, resolved.definition.secretInputs), output: progress, error: failure, attempts, startedAt, finishedAt: this.now, nextAttemptAt, notes });
      this.deps.log.warn({ runId: this.run.id, step: key, attempts, retry, error: failure.message }, 'step failed');
      if (retry) return { kind: 'suspend', wakeAt: nextAttemptAt, step: key, retry: true };
      return this.afterFailure(step, key, scope, failure);
    }
    // Outside the catch: the call took effect, so a store failure here must not count as a failed
    // attempt. It aborts the turn with the entry still `running`, which the next turn treats as an
    // interrupted call.
    // A read's result goes with the next write (before any outside effect) or the turn's outcome.
    // The input went to the store with the `running` entry (not for a read): not written twice.
    await this.write({ key, step, status: 'completed', input: journaledInput, inputAsStored: !resolved.definition.readOnly, output: redact(output), attempts, startedAt, finishedAt: this.now, notes, holdBack: resolved.definition.readOnly === true });
    scope.steps[step.id] = output;
    return NEXT;
  }

  /** A step failed for good: its `on_error` decides whether the run fails or carries on. */
  async afterFailure(step: ActionStep, key: StepKey, scope: ExpressionScope, error: RunError): Promise<Flow> {
    const onError = step.on_error ?? 'fail';
    if (onError === 'fail') return { kind: 'fail', error };
    // A failure `when` does not cover is not this handler's: the run fails, so it can be retried.
    if (typeof onError === 'object' && onError.when !== undefined && !truthy(await evaluateExpression(onError.when, { ...scope, error }, this.#env))) return { kind: 'fail', error };
    scope.steps[step.id] = { error };
    if (onError === 'continue') return NEXT;
    const handled = await this.sequence(onError.steps, prefixOf(key), { ...scope, error });
    if (handled.kind !== 'next') return handled;
    return (onError.then ?? 'fail') === 'fail' ? { kind: 'fail', error } : NEXT;
  }

  // ── Control flow ────────────────────────────────────────────────────────────────────────
  async if(step: IfStep, key: StepKey, scope: ExpressionScope): Promise<Flow> {
    // The branch is journaled so that a replay takes the same one even if `$now()` has moved on.
    const flow = await this.recorded(step, key, scope, async () => ({
      branch: truthy(await evaluateExpression(step.condition, scope, this.#env)) ? 'then' : 'else',
    }));
    if (flow.kind !== 'next') return flow;
    const { branch } = scope.steps[step.id] as { branch: 'then' | 'else' };
    const steps = branch === 'then' ? step.then : step.else;
    return steps ? this.sequence(steps, prefixOf(key), scope) : NEXT;
  }

  async foreach(step: ForeachStep, key: StepKey, scope: ExpressionScope): Promise<Flow> {
    const flow = await this.recorded(step, key, scope, async () => {
      const value = await evaluateExpression(step.items, scope, this.#env);
      const items = value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
      return { items, count: items.length };
    });
    if (flow.kind !== 'next') return flow;
    const { items } = scope.steps[step.id] as { items: unknown[] };
    for (const [index, item] of items.entries()) {
      const inner: ExpressionScope = { ...scope, [step.as ?? 'item']: item, index };
      const result = await this.sequence(step.steps, `${key}[${index}].`, inner);
      if (result.kind !== 'next') return result;
    }
    return NEXT;
  }

  async lookup(step: LookupStep, scope: ExpressionScope): Promise<unknown> {
    const rows = this.deps.tables.rows(step.table);
    if (!rows) throw new LookupMissError(`no table named ${step.table}`);
    const matches: unknown[] = [];
    // What the error names: the values looked for (ops fix the table by them), not the expressions.
    let lookedFor: string;
    if (typeof step.where === 'string') {
      lookedFor = step.where;
      for (const row of rows) if (truthy(await evaluateExpression(step.where, scope, this.#env, row))) matches.push(row);
    } else {
      // Each column's value on its own: a value of nothing must not drop its column (review 8, F1: the
      // column left out, every row matched, and `mode: all` emailed every region's watchers).
      const wanted: Record<string, unknown> = {};
      const nothing: string[] = [];
      for (const [column, written] of Object.entries(step.where)) {
        const value = await this.evaluate(written, scope);
        // What an expression computes as nothing (undefined: a field the data leaves out or a typo; null:
        // the data's "no value") is looked for in no row. A null written in the recipe is a value.
        if (isExpression(written) && (value === undefined || value === null)) nothing.push(`where.${column} ${written} computes nothing (${value === undefined ? 'undefined' : 'null'})`);
        else wanted[column] = value;
      }
      if (nothing.length > 0) {
        if (step.required) {
          const columns = Object.keys(step.where).filter((c) => !Object.hasOwn(wanted, c));
          throw new LookupMissError(
            `table ${step.table} has no row where ${columns.map((c) => `${c} is nothing`).join(' and ')}: ${nothing.join(', ')} for this run, and a value of nothing matches no row (a field the data leaves out, or a misspelt one)`,
          );
        }
        return step.mode === 'all' ? [] : null;
      }
      lookedFor = JSON.stringify(wanted);
      const at: number[] = [];
      rows.forEach((row, i) => {
        if (!Object.entries(wanted).every(([column, value]) => sameValue(row[column], value))) return;
        matches.push(row);
        at.push(i);
      });
      // One row per key: two would leave one of them ignored without a word, so neither is taken.
      if (step.mode !== 'all' && at.length > 1) {
        const named = at.map((i) => `rows[${i}]`);
        throw new LookupRowsRepeatedError(
          `table ${step.table} has ${at.length} rows where ${lookedFor}: ${named.slice(0, -1).join(', ')} and ${named.at(-1)}; a lookup reads one row per key and does not pick one: keep one row for the key in the table (the start refuses the table so) and retry the run`,
        );
      }
    }
    if (step.required && matches.length === 0) {
      throw new LookupMissError(`table ${step.table} has no row where ${lookedFor}`);
    }
    return step.mode === 'all' ? matches : (matches[0] ?? null);
  }

  // ── Waiting ─────────────────────────────────────────────────────────────────────────────
  async wait(step: WaitStep, key: StepKey, scope: ExpressionScope): Promise<Flow> {
    const entry = this.journal.get(key);
    if (entry?.status === 'completed') return NEXT;
    let until: number;
    if (entry?.status === 'waiting' && entry.wait?.kind === 'time') until = entry.wait.until;
    else {
      let delay: Delay | undefined;
      try {
        delay = step.for !== undefined ? await this.#delay(step.for, scope, `wait ${step.id}: for`) : undefined;
      } catch (error) {
        return this.#failStep(step, key, error);
      }
      until = delay !== undefined ? delayEnd(this.now, delay, this.deps.tables.calendar) : toTime(await evaluateExpression(step.until!, scope, this.#env), step.id);
      await this.write({ key, step, status: 'waiting', input: { until: new Date(until).toISOString() }, wait: { kind: 'time', until }, startedAt: this.now });
    }
    if (until > this.now) return { kind: 'suspend', wakeAt: until, step: key, ...(entry?.status === 'waiting' ? { again: true as const } : {}) };
    if (entry?.status === 'waiting') this.deps.onLifecycle?.({ type: 'timer.fired', ...refOf(this.run), step: key, timer: 'wait' });
    await this.write({ key, step, status: 'completed', input: { until: new Date(until).toISOString() }, output: { waited_until: new Date(until).toISOString() }, startedAt: entry?.startedAt ?? this.now, finishedAt: this.now });
    return NEXT;
  }

  async waitFor(step: WaitForStep, key: StepKey, scope: ExpressionScope): Promise<Flow> {
    let entry = this.journal.get(key);
    if (!entry) {
      let timeout: Delay | undefined;
      try {
        timeout = step.timeout !== undefined ? await this.#delay(step.timeout, scope, `wait_for ${step.id}: timeout`) : undefined;
      } catch (error) {
        return this.#failStep(step, key, error);
      }
      const deadline = timeout !== undefined ? delayEnd(this.now, timeout, this.deps.tables.calendar) : null;
      let wait: WaitSpec;
      if (step.signal) wait = { kind: 'signal', signal: step.signal, deadline };
      else {
        const computed = computedKey(await evaluateExpression(step.event!.key, scope, this.#env));
        // Stored as "undefined", the wait would be answered by no event, and time out as if none came.
        if ('nothing' in computed) {
          return this.#failStep(step, key, new StepInputError(`wait_for ${step.id}: its event key ${step.event!.key} computes nothing (${computed.nothing}), so no event could answer it`));
        }
        wait = { kind: 'event', event: step.event!.name, key: computed.key, deadline };
      }
      // No event's key can hold a NUL (refused at intake), and PostgreSQL cannot store one: a step error.
      if (wait.kind === 'event' && hasNul(wait.key)) return this.#failStep(step, key, new StepInputError(`wait_for ${step.id}: its event key ${NUL_REFUSAL}`));
      await this.write({ key, step, status: 'waiting', input: describeWait(wait), wait, startedAt: this.now });
      return { kind: 'suspend', wakeAt: deadline, step: key };
    }
    if (entry.status === 'waiting') {
      const deadline = entry.wait && entry.wait.kind !== 'time' ? entry.wait.deadline : null;
      if (deadline === null || deadline > this.now) return { kind: 'suspend', wakeAt: deadline, step: key, again: true };
      const timedOut = await this.deps.store.completeWaitingStep({ runId: this.run.id, stepKey: key, output: { timed_out: true }, now: this.now });
      if (timedOut) this.deps.onLifecycle?.({ type: 'timer.fired', ...refOf(this.run), step: key, timer: 'timeout' });
      else this.deps.log.info({ runId: this.run.id, step: key }, 'the wait was answered as its deadline passed; the answer wins');
      entry = (await this.deps.store.getJournal(this.run.id)).find((e) => e.stepKey === key)!;
      this.journal.set(key, entry);
    }
    scope.steps[step.id] = entry.output;
    if ((entry.output as { timed_out?: boolean } | null)?.timed_out && step.on_timeout) {
      return this.sequence(step.on_timeout, prefixOf(key), scope);
    }
    return NEXT;
  }

  // ── Journal helpers ─────────────────────────────────────────────────────────────────────
  /** Runs `compute` once and journals its result; on replay takes the journaled result. */
  async recorded(step: Step, key: StepKey, scope: ExpressionScope, compute: () => Promise<unknown>): Promise<Flow> {
    const entry = this.journal.get(key);
    if (entry?.status === 'completed') {
      scope.steps[step.id] = entry.output;
      return NEXT;
    }
    const startedAt = this.now;
    try {
      const output = await compute();
      await this.write({ key, step, status: 'completed', output, startedAt, finishedAt: this.now, holdBack: true });
      scope.steps[step.id] = output;
      return NEXT;
    } catch (error) {
      if (error instanceof LeaseLostError) throw error;
      const failure = toRunError(error, key);
      await this.write({ key, step, status: 'failed', error: failure, startedAt, finishedAt: this.now, holdBack: true });
      return { kind: 'fail', error: failure };
    }
  }

  /** Fails a step whose input could not be evaluated (a bad delay): journaled, so ops retry it from here. */
  async #failStep(step: Step, key: StepKey, error: unknown): Promise<Flow> {
    if (error instanceof LeaseLostError) throw error;
    const failure = toRunError(error, key);
    await this.write({ key, step, status: 'failed', error: failure, startedAt: this.now, finishedAt: this.now, holdBack: true });
    return { kind: 'fail', error: failure };
  }

  /** A step's delay, its business days evaluated when an expression gives them (D10: from a table). */
  #delay(delay: StepDelay, scope: ExpressionScope, where: string): Promise<Delay> {
    return resolveStepDelay(delay, (source) => evaluateExpression(source, scope, this.#env), where);
  }

  evaluate(mapping: unknown, scope: ExpressionScope): Promise<unknown> {
    return evaluateMapping(mapping, scope, this.#env);
  }

  async write(e: {
    key: StepKey;
    step: Step;
    status: JournalEntry['status'];
    input?: unknown;
    output?: unknown;
    error?: RunError | null;
    attempts?: number;
    startedAt: number;
    finishedAt?: number | null;
    nextAttemptAt?: number | null;
    wait?: WaitSpec | null;
    notes?: string[];
    inputAsStored?: boolean;
    /** A step with no outside effect: its entry may wait for the next write (see #heldBack). */
    holdBack?: boolean;
  }): Promise<void> {
    const entry: JournalEntry = {
      runId: this.run.id,
      stepKey: e.key,
      stepId: e.step.id,
      stepType: e.step.type,
      status: e.status,
      input: e.input ?? null,
      output: e.output ?? null,
      error: e.error ?? null,
      attempts: e.attempts ?? 1,
      startedAt: e.startedAt,
      finishedAt: e.finishedAt ?? null,
      nextAttemptAt: e.nextAttemptAt ?? null,
      wait: e.wait ?? null,
      notes: e.notes ?? [],
      ...(e.inputAsStored ? { inputAsStored: true } : {}),
    };
    this.journal.set(e.key, entry);
    const alongside = this.#withNextEntry.splice(0);
    if (e.holdBack && alongside.length === 0) {
      this.#heldBack.set(e.key, entry);
      return;
    }
    this.#heldBack.delete(e.key);
    const entries = [...this.#heldBack.values(), entry];
    let held: boolean;
    try {
      held = await this.deps.store.writeJournal(entries, this.owner, alongside.length > 0 ? { outboxSent: alongside.map((w) => w.outboxSent) } : undefined);
    } catch (error) {
      for (const w of alongside) w.stored(false);
      throw error;
    }
    // Written with the entries, or alone when the lease is gone: the provider took those messages.
    for (const w of alongside) w.stored(true);
    if (!held) throw new LeaseLostError(`run ${this.run.id} is no longer held by ${this.owner}`);
    this.#heldBack.clear();
    // Stored, and a turn visits each step key once: its input and output are not read again in this
    // turn (the next one reads them from the store). Kept, a foreach over 1,000 partners held every
    // partner's leads twice until the turn ended: a digest of 100,000 leads peaked at 700 MB. A read
    // held back (readOnly) is stored here too, with this entry.
    for (const stored of entries) {
      if (stored.status === 'completed' && stored.stepType === 'action') this.journal.set(stored.stepKey, { ...stored, input: null, output: null });
    }
  }
}

function prefixOf(key: StepKey): string {
  const dot = key.lastIndexOf('.');
  return dot < 0 ? '' : key.slice(0, dot + 1);
}

/** Whether an `if` takes `then` (and `on_error.when` applies, a `where` matches): a non-empty list, else JavaScript's truth. */
export function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return Boolean(value);
}

function toTime(value: unknown, stepId: string): number {
  const t = typeof value === 'number' ? value : Date.parse(String(value));
  if (Number.isNaN(t)) throw new StepInputError(`wait ${stepId}: until is not a time: ${JSON.stringify(value)}`);
  return t;
}

function describeWait(wait: WaitSpec): unknown {
  const deadline = wait.kind !== 'time' && wait.deadline !== null ? new Date(wait.deadline).toISOString() : null;
  return wait.kind === 'signal' ? { signal: wait.signal, deadline } : wait.kind === 'event' ? { event: wait.event, key: wait.key, deadline } : {};
}

function toRunError(error: unknown, stepKey: string): RunError {
  if (error instanceof Error) return { name: error.name, message: error.message, stepKey };
  return { name: 'Error', message: String(error), stepKey };
}

/** The failure of a call that is not safe to repeat and may have taken effect: an operator decides. */
function outcomeUnknownError(action: string, cause: RunError): RunError {
  return {
    name: 'OutcomeUnknownError',
    message: `${action} may have taken effect (${cause.message}) and is not safe to repeat; check the target system, then retry the run`,
    ...(cause.stepKey === undefined ? {} : { stepKey: cause.stepKey }),
  };
}
