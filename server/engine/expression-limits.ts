/**
 * How much work one recipe expression or email template may do before it is stopped as a runaway (a
 * recursion without end, a loop over a huge range). The limit counts JSONata's evaluation steps (every
 * node of the expression evaluated, once per item it is evaluated for), not time: a wall-clock limit
 * also counts what the process did not get to run (a garbage collection, a synchronous commit, a busy
 * host), and 250 ms failed a D23 digest email listing a partner's 100 leads on a loaded machine. A
 * step count gives the same verdict on an idle laptop and on a starved replica.
 */
export interface ExpressionLimits {
  /** Evaluation steps of one evaluation (`PARTNERFLOW_EXPRESSION_MAX_STEPS`). */
  maxSteps: number;
  /** Nested evaluations at once: a recursion that is not a tail call stops here (JSONata: "Stack overflow"). */
  maxDepth: number;
  /** Items of one sequence (JSONata: "The maximum sequence length ... was exceeded"). */
  maxSequence: number;
  /**
   * A last resort behind the step count, in CPU time of this process (not wall-clock time: a starved
   * process gets little CPU, and is not stopped for it): a step that does much work natively, such as
   * a range of 100,000 numbers built for each of 100,000 items, is one step each time.
   */
  maxCpuMs: number;
}

/**
 * The defaults. Mapping 100,000 items (the sequence limit) with a lambda that builds a line of five
 * fields takes about 2,100,000 steps; 5,000,000 leaves room for twice that, and stops a runaway after
 * some seconds of work, as the earlier 5 s time box did on a quiet machine.
 */
export const DEFAULT_EXPRESSION_LIMITS: Readonly<ExpressionLimits> = { maxSteps: 5_000_000, maxDepth: 200, maxSequence: 100_000, maxCpuMs: 60_000 };

/** The environment variable that sets `maxSteps` at start (README "Configuration"). */
export const MAX_STEPS_VARIABLE = 'PARTNERFLOW_EXPRESSION_MAX_STEPS';

let current: ExpressionLimits = { ...DEFAULT_EXPRESSION_LIMITS };

/** The limits every evaluation in this process works under. */
export function expressionLimits(): Readonly<ExpressionLimits> {
  return current;
}

/**
 * Sets the step limit for this process (the runtime does at start, from its configuration; a test
 * lowers it), answering the previous limits so that a test can put them back.
 */
export function setExpressionLimits(limits: Partial<Pick<ExpressionLimits, 'maxSteps' | 'maxCpuMs'>>): ExpressionLimits {
  const previous = current;
  if (limits.maxSteps !== undefined && (!Number.isSafeInteger(limits.maxSteps) || limits.maxSteps < 1)) {
    throw new RangeError(`${MAX_STEPS_VARIABLE}: a whole number of evaluation steps, at least 1 (got ${limits.maxSteps})`);
  }
  if (limits.maxCpuMs !== undefined && !(limits.maxCpuMs > 0)) throw new RangeError(`maxCpuMs: milliseconds of CPU time, more than 0 (got ${limits.maxCpuMs})`);
  current = { ...current, ...limits };
  return previous;
}

/** A runaway expression stopped at the step limit; the message names the limit and how to raise it. */
export class ExpressionStepLimitError extends Error {
  override name = 'ExpressionStepLimitError';
  constructor(readonly maxSteps: number) {
    super(
      `the expression was stopped after ${maxSteps.toLocaleString('en-US')} evaluation steps, the limit of one evaluation ` +
        `(${MAX_STEPS_VARIABLE}): a recursion without end or a loop over a huge range? If it is meant to do that much work, raise ${MAX_STEPS_VARIABLE}`,
    );
  }
}

/**
 * A runaway stopped by the last resort: much CPU time in few steps. The message names the limit and
 * the steps done, so that the step limit can be set to catch it sooner.
 */
export class ExpressionCpuLimitError extends Error {
  override name = 'ExpressionCpuLimitError';
  constructor(readonly maxCpuMs: number, readonly steps: number) {
    super(
      `the expression was stopped after ${maxCpuMs.toLocaleString('en-US')} ms of CPU time in ${steps.toLocaleString('en-US')} evaluation steps, ` +
        `the last-resort limit of one evaluation (maxCpuMs of expression-limits.ts): a step that does much work natively, such as a huge range built for each item?`,
    );
  }
}

/** The per-evaluation count, kept on JSONata's evaluation frame (`environment.base`). */
const STEPS = Symbol('partnerflow.expression.steps');
/** CPU time (µs) of the process when the evaluation reached CPU_CHECK_EVERY steps. */
const CPU_AT = Symbol('partnerflow.expression.cpu');
/** How often the CPU time is read: short evaluations (almost all) never read it. */
const CPU_CHECK_EVERY = 4_096;

interface EvaluationFrame {
  base: EvaluationFrame & { [STEPS]?: number; [CPU_AT]?: number };
}

/**
 * JSONata's `__evaluate_entry` hook (the one its own `timeboxExpression` test helper uses): called on
 * entry to every evaluation step. Every frame of one evaluation (lambdas, tuples) shares that
 * evaluation's `base` frame, so the count is per evaluation even when one compiled expression is
 * evaluated by many turns at once.
 */
export function countEvaluationStep(_expr: unknown, _input: unknown, environment: EvaluationFrame): void {
  const base = environment.base;
  const steps = (base[STEPS] ?? 0) + 1;
  base[STEPS] = steps;
  if (steps > current.maxSteps) throw new ExpressionStepLimitError(current.maxSteps);
  if (steps % CPU_CHECK_EVERY === 0) {
    const usage = process.cpuUsage();
    const cpu = usage.user + usage.system;
    // The first CPU_CHECK_EVERY steps are not counted: milliseconds at most.
    if (base[CPU_AT] === undefined) base[CPU_AT] = cpu;
    else if (cpu - base[CPU_AT] > current.maxCpuMs * 1_000) throw new ExpressionCpuLimitError(current.maxCpuMs, steps);
  }
}

/** The symbol JSONata looks the hook up by. */
export const EVALUATE_ENTRY = Symbol.for('jsonata.__evaluate_entry');
