import { Duration } from 'luxon';
import { z } from 'zod';
import { cronProblem, timeZoneProblem } from './schedule-cron.ts';

/**
 * The recipe language: one zod schema is the single source for validation, the published JSON Schema
 * (`schemas/json/recipe.schema.json`) and the TypeScript builder's types.
 *
 * Values: wherever a recipe maps data (`input`, `values`, `where`), a string written `{% … %}` is a
 * JSONata expression evaluated against the run's context (`trigger`, `steps`, `vars`, `run`, the
 * foreach item); any other JSON value is taken literally. There is no user JavaScript in a recipe.
 */

/** A JSONata expression in `{% … %}`. */
export const Expression = z
  .string()
  .regex(/^\{%[\s\S]*%\}$/, 'an expression is written {% … %}')
  .describe('A JSONata expression in {% … %}, evaluated against the run context (trigger, steps, vars, run).');
export type Expression = z.infer<typeof Expression>;

/** Any JSON value; strings written {% … %} are expressions. */
export const Mapping: z.ZodType<unknown> = z
  .unknown()
  .describe('Any JSON value. Strings written {% … %} are JSONata expressions, evaluated at run time.');

/** An ISO 8601 duration such as `P2D`, `PT30M`, `P1DT12H`. */
export const IsoDuration = z
  .string()
  .regex(/^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/, 'an ISO 8601 duration such as P2D or PT30M')
  .describe('An ISO 8601 duration, e.g. P2D, PT30M.');

/**
 * A bound on an IsoDuration's length. A text that is no duration at all already has IsoDuration's
 * message; the bound's message as well would tell the user two things, one of them beside the point.
 */
function durationLength(test: (ms: number) => boolean): (d: string) => boolean {
  return (d) => {
    const ms = Duration.fromISO(d).toMillis();
    return !Number.isFinite(ms) || test(ms);
  };
}

/** A delay: an ISO duration, or a number of business days on the business calendar. */
export const Delay = z.union([
  IsoDuration,
  z
    .object({
      business_days: z.number().int().positive().describe('Business days on the `business-calendar` table (weekends and holidays skipped).'),
    })
    .strict(),
]);
export type Delay = z.infer<typeof Delay>;

/**
 * The delay of a `wait` or a `wait_for` timeout: as Delay, and the business days may also be an
 * expression (`{ "business_days": "{% $steps.level.business_days %}" }`), so the number comes from a
 * table ops maintain (D10: each approval level's business days). Checked when the step runs: a whole
 * number of days, at least 1, or the step fails naming it.
 */
export const StepDelay = z.union([
  IsoDuration,
  z
    .object({
      business_days: z
        .union([z.number().int().positive(), z.string().regex(/^\{%[\s\S]*%\}$/, 'a whole number of days, or an expression written {% … %}')])
        .describe('Business days on the `business-calendar` table (weekends and holidays skipped): a number, or an expression giving one (e.g. from a table).'),
    })
    .strict(),
]);
export type StepDelay = z.infer<typeof StepDelay>;

const StepId = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'a step id is snake_case, starting with a letter')
  .describe('Stable id of the step, unique in the recipe. The journal is keyed by it: do not rename a step that live runs have passed.');

/** Per-step retry policy for action steps. */
export const RetryPolicy = z
  .object({
    /** Attempts in all, the first included. @default 3, or unbounded with `give_up_after` */
    // Up to 500; a step that must outlive an outage of days says so with give_up_after instead (D1).
    max_attempts: z
      .number()
      .int()
      .min(1)
      .max(500)
      .optional()
      .describe('Attempts in all, the first included (at most 500). Default 3; with give_up_after and no max_attempts, unbounded while the error is retryable.'),
    /** A time budget from the step's first attempt: no attempt after it. */
    give_up_after: IsoDuration.refine(durationLength((ms) => ms > 0), 'give_up_after is a duration longer than zero, e.g. P30D')
      .optional()
      .describe(
        "Retry for at most this long, counted from the step's first attempt (an ISO duration, e.g. P30D); the last attempt is made when it ends. Without max_attempts the number of attempts is then unbounded while the error is retryable.",
      ),
    /** Wait before the second attempt. @default PT2S */
    initial_interval: IsoDuration.default('PT2S').describe('Wait before the second attempt. Default PT2S.'),
    /** Each further wait is multiplied by this. @default 2 */
    backoff_rate: z.number().min(1).max(10).default(2).describe('Each further wait is multiplied by this. Default 2.'),
    /** Upper bound of one wait. @default PT10M */
    max_interval: IsoDuration.default('PT10M').describe('Upper bound of one wait. Default PT10M.'),
  })
  .strict();
export type RetryPolicy = z.infer<typeof RetryPolicy>;

/** Shared by every step kind. */
const stepBase = {
  id: StepId,
  /** What the step is for, shown in the journal. */
  description: z.string().optional(),
};

/**
 * What happens when a step fails after its retries: `fail` the run (default), `continue` with the next
 * step (the step's output is then `{ error }`), or run `steps` first and then `then`. With `when`, only
 * a failure it is truthy for is handled so; any other fails the run (as `fail`).
 */
export type OnError = 'fail' | 'continue' | { when?: string; steps: Step[]; then?: 'fail' | 'continue' };

export type ActionStep = {
  id: string;
  description?: string;
  type: 'action';
  action: string;
  input?: unknown;
  retry?: z.input<typeof RetryPolicy>;
  on_error?: OnError;
};
export type IfStep = { id: string; description?: string; type: 'if'; condition: string; then: Step[]; else?: Step[] };
export type ForeachStep = { id: string; description?: string; type: 'foreach'; items: string; as?: string; steps: Step[] };
export type LookupStep = {
  id: string;
  description?: string;
  type: 'lookup';
  table: string;
  where: string | Record<string, unknown>;
  mode?: 'first' | 'all';
  required?: boolean;
};
export type SetStep = { id: string; description?: string; type: 'set'; values: Record<string, unknown> };
export type WaitStep = { id: string; description?: string; type: 'wait'; for?: StepDelay; until?: string };
export type WaitForStep = {
  id: string;
  description?: string;
  type: 'wait_for';
  signal?: string;
  event?: { name: string; key: string };
  timeout?: StepDelay;
  on_timeout?: Step[];
};
export type StopStep = { id: string; description?: string; type: 'stop'; status?: 'completed' | 'failed' | 'canceled'; reason?: string };
export type Step = ActionStep | IfStep | ForeachStep | LookupStep | SetStep | WaitStep | WaitForStep | StopStep;

const Steps: z.ZodType<Step[]> = z.lazy(() => z.array(Step).min(1));

export const OnError: z.ZodType<OnError> = z.union([
  z.literal('fail'),
  z.literal('continue'),
  z
    .object({
      when: Expression.optional().describe(
        "Handles only a failure this is truthy for (`$error`: e.g. {% $error.name = 'EmailRefusedError' %}, a refusal for good); any other failure fails the run, as `fail` would (its on_error runs, and it can be retried).",
      ),
      steps: z.lazy(() => Steps),
      then: z.enum(['fail', 'continue']).optional(),
    })
    .strict(),
]);

export const ActionStep = z
  .object({
    ...stepBase,
    type: z.literal('action'),
    action: z.string().regex(/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/, 'an action is <connector>.<action>, e.g. prm.get_mdf_request'),
    input: Mapping.optional(),
    retry: RetryPolicy.optional(),
    on_error: OnError.optional(),
  })
  .strict()
  .describe('Calls a connector action with mapped input. Its output is `steps.<id>`.');

export const IfStep = z
  .object({ ...stepBase, type: z.literal('if'), condition: Expression, then: Steps, else: Steps.optional() })
  .strict()
  .describe('Runs `then` when the condition is truthy, otherwise `else`.');

/**
 * Names every expression in a foreach's steps already has, which an item named `as` would replace:
 * the interpreter binds the item beside the run scope (and `index` after it), and the runtime's
 * functions beside both. Names with capitals cannot be an `as` anyway.
 */
const TAKEN_NAMES = {
  trigger: 'trigger (the event that started the run)',
  steps: "steps (the steps' results)",
  vars: 'vars (the values of set steps)',
  run: 'run (its id, recipe, version and start time)',
  error: 'error (what failed, in on_error steps)',
  index: "index (the item's position)",
  now: '$now()',
  millis: '$millis()',
  today: '$today()',
} as const;

export const ForeachStep = z
  .object({
    ...stepBase,
    type: z.literal('foreach'),
    items: Expression,
    as: z
      .string()
      .regex(/^[a-z][a-z0-9_]*$/)
      .refine((name) => !Object.hasOwn(TAKEN_NAMES, name), {
        error: (issue) => {
          const name = issue.input as keyof typeof TAKEN_NAMES;
          // The interpreter binds `index` after the item, so there it is the item that is lost.
          const clash = name === 'index' ? 'which would hide an item of that name' : "which an item of that name would hide in this foreach's steps";
          return `"${name}" is taken: expressions already have ${TAKEN_NAMES[name]}, ${clash}; name the item something else`;
        },
      })
      // The refinement alone would not reach the JSON Schema, and editors should flag these names too.
      .meta({ not: { enum: Object.keys(TAKEN_NAMES) } })
      .default('item')
      .describe('Name of the current item in expressions. Default item.'),
    steps: Steps,
  })
  .strict()
  .describe('Runs its steps once per item, in order. Each iteration is journaled under `<id>[<index>]`.');

export const LookupStep = z
  .object({
    ...stepBase,
    type: z.literal('lookup'),
    table: z.string().regex(/^[a-z][a-z0-9-]*$/),
    where: z.union([Expression, z.record(z.string(), Mapping)]).describe('Column equalities, or an expression evaluated per row (the row is the input).'),
    mode: z.enum(['first', 'all']).default('first').describe('first: the first matching row (or null); all: every matching row.'),
    required: z.boolean().default(false).describe('Fail the step when nothing matches. Default false.'),
  })
  .strict()
  .describe('Reads a table that ops maintain (recipes/tables/<table>.json).');

export const SetStep = z
  .object({ ...stepBase, type: z.literal('set'), values: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), Mapping) })
  .strict()
  .describe('Evaluates values once and keeps them as `vars.<name>` for the rest of the run.');

export const WaitStep = z
  .object({
    ...stepBase,
    type: z.literal('wait'),
    for: StepDelay.optional().describe('How long to wait.'),
    until: Expression.optional().describe('An expression giving the time to wait until (ISO string or epoch ms).'),
  })
  .strict()
  .refine((s) => (s.for === undefined) !== (s.until === undefined), { message: 'a wait has exactly one of `for` or `until`' })
  .describe('Pauses the run durably; the timer survives restarts.');

export const WaitForStep = z
  .object({
    ...stepBase,
    type: z.literal('wait_for'),
    signal: z.string().regex(/^[a-z][a-z0-9_]*$/).optional().describe('A signal this run receives, e.g. an approval decision (approval.request names it).'),
    event: z
      .object(
        { name: z.string().min(3), key: Expression.describe('The correlation key the event must carry.') },
        {
          // An event written as its name alone is the likely slip (a trigger's `event` is one): say the form.
          error: (issue) =>
            issue.code === 'invalid_type' && issue.input !== undefined
              ? `an object naming the event and the business key it must carry, e.g. { "name": ${typeof issue.input === 'string' ? JSON.stringify(issue.input) : '"prm.mdf_claim.submitted"'}, "key": "{% $trigger.data.mdfNumber %}" }`
              : undefined,
        },
      )
      .strict()
      .optional()
      .describe('An external event and the business key it must carry, e.g. { "name": "prm.mdf_request.status_changed", "key": "{% $trigger.data.mdfNumber %}" } for this MDF number.'),
    timeout: StepDelay.optional(),
    on_timeout: Steps.optional().describe('Runs when the timeout passes with nothing received; then the run continues after this step.'),
  })
  .strict()
  .refine((s) => (s.signal === undefined) !== (s.event === undefined), { message: 'a wait_for has exactly one of `signal` or `event`' })
  .refine((s) => s.on_timeout === undefined || s.timeout !== undefined, { message: 'on_timeout needs a timeout' })
  .describe('Waits for a signal or an event, with an optional deadline. Output: what arrived, or { timed_out: true }.');

export const StopStep = z
  .object({
    ...stepBase,
    type: z.literal('stop'),
    status: z.enum(['completed', 'failed', 'canceled']).default('completed'),
    reason: z.string().optional(),
  })
  .strict()
  .describe('Ends the run with a status.');

export const Step: z.ZodType<Step> = z.lazy(() =>
  z.discriminatedUnion('type', [ActionStep, IfStep, ForeachStep, LookupStep, SetStep, WaitStep, WaitForStep, StopStep]),
) as z.ZodType<Step>;

// ── Triggers ─────────────────────────────────────────────────────────────────────────────────

export const WebhookTrigger = z
  .object({
    type: z.literal('webhook'),
    event: z.string().regex(/^[a-z][a-z0-9_]*\.[a-z0-9_.]+$/, 'an event is <connector>.<event>, e.g. prm.mdf_request.submitted'),
    filter: Expression.optional().describe('Start a run only when this is truthy for the event (`data`, `event`).'),
    dedup_key: Expression.optional().describe('Events with the same key start one run. Default: the delivery id.'),
    concurrency_key: Expression.optional().describe(
      'One run at a time per key: an event with another dedup_key whose key a run of this recipe still holds (not finished) is stored as a run held back, which starts once that run has finished (the oldest held run first). E.g. the MDF number, when the dedup_key is a submission of the request (MDF number and stamp): one approval at a time per request.',
    ),
  })
  .strict()
  .describe('Starts a run for each accepted delivery of the event at POST /webhooks/<connector>.');

/**
 * The shortest poll interval: a poll is a query against the source system (Salesforce counts each one
 * against the org's daily API requests), and PT1M is already 1,440 of them a day per recipe. The
 * watermark catches up whatever the interval, so a shorter one only spends quota.
 */
export const MIN_POLL_INTERVAL_MS = 60_000;

export const PollTrigger = z
  .object({
    type: z.literal('poll'),
    action: z.string().regex(/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/),
    input: Mapping.optional(),
    every: IsoDuration.refine(durationLength((ms) => ms >= MIN_POLL_INTERVAL_MS), {
      message:
        'a poll runs at most once a minute: every is PT1M or longer (each poll is a query against the source system, counted against its API quota, e.g. Salesforce\'s daily API requests; PT0S would poll in a loop)',
    }).describe('How often to poll: an ISO 8601 duration of at least PT1M, e.g. PT5M.'),
    cursor: Expression.describe('The watermark taken from each item (e.g. its updated time).'),
    dedup_key: Expression.describe('Identifies an item version, e.g. id & updated.'),
    correlation_key: Expression.optional().describe(
      "The business key of the run an item starts (e.g. {% data.key %}, the MDF number of a Funds Request): runs are listed under it (GET /runs?key=, the console's Business key filter) and, as a webhook run's, it is the key a cancel_on event must carry to cancel the run. An item it computes nothing for (undefined, null, an empty text: often a field typo) fails the poll, with the watermark kept. Default: none (the run has no business key).",
    ),
  })
  .strict()
  .describe('Polls a connector query for systems without webhooks; each new item starts a run.');

export const ScheduleTrigger = z
  .object({
    type: z.literal('schedule'),
    cron: z
      .string()
      .superRefine((cron, ctx) => {
        const problem = cronProblem(cron);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe('Five-field cron (minute hour day-of-month month day-of-week), e.g. "0 8 * * 1-5".'),
    timezone: z
      .string()
      .superRefine((zone, ctx) => {
        const problem = timeZoneProblem(zone);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .default('UTC')
      .describe('IANA time zone, e.g. Europe/Berlin. Default UTC.'),
  })
  .strict()
  .describe('Starts a run on a cron schedule in a time zone.');

/** A whole number of calendar days after the record's date (D14: 2, 14, 28), or a delay (an ISO duration of whole days, weeks or months, or business days). */
export const TimerOffset = z.union([
  z.number().int().positive().describe('Calendar days after the date.'),
  z
    .string()
    .regex(/^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$/, 'a whole-day ISO 8601 duration such as P2D, P2W or P1M (no time part: the time of day is `at`)')
    .describe('A whole-day ISO 8601 duration after the date, e.g. P14D.'),
  z.object({ business_days: z.number().int().positive() }).strict().describe('Business days after the date on the `business-calendar` table.'),
]);
export type TimerOffset = z.infer<typeof TimerOffset>;

/** What an offset means, for comparing: `2` and `"P2D"` are both 2 days; business days and months stay apart. */
function offsetMeaning(offset: TimerOffset): string {
  if (typeof offset === 'number') return `${offset} days`;
  if (typeof offset === 'object') return `${offset.business_days} business days`;
  const parts = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$/.exec(offset);
  if (parts && !parts[1] && !parts[2]) return `${Number(parts[3] ?? 0) * 7 + Number(parts[4] ?? 0)} days`;
  return offset;
}

/** D14: each offset once; a repeated one (`[2, 2]`, or `2` and `"P2D"`) would send one reminder where two were meant, or two on one day. */
function offsetsOnce(offsets: TimerOffset[], ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  offsets.forEach((offset, i) => {
    const meaning = offsetMeaning(offset);
    const first = seen.get(meaning);
    if (first === undefined) seen.set(meaning, i);
    else ctx.addIssue({ code: 'custom', path: [i], message: `${JSON.stringify(offset)} is ${meaning} after the date, as offsets[${first}] already is; each offset once` });
  });
}

/** Where a timer's offsets come from: a column of whole days in a table ops maintain. */
export const TimerOffsetsTable = z
  .object({
    table: z.string().regex(/^[a-z][a-z0-9-]*$/).describe('A table under recipes/tables, e.g. claim-reminders.'),
    column: z.string().min(1).describe('The column that holds whole days after the date, e.g. days_after_end.'),
  })
  .strict();

export const TimerStopOn = z
  .object({
    event: z.string().min(3).describe('An event name, e.g. prm.mdf_claim.submitted.'),
    filter: Expression.optional().describe('Stop only when this is truthy for the event (`data`).'),
    by: Expression.optional().describe(
      "The record that stops the timers, e.g. {% data.id %} (the claim). The stop then lasts while that record is with the timers' record: an event of it that carries another key (ops moved the claim to another request) lifts the stop from the old key, whose timers resume from its last state when nothing else stops them (a reminder day already past follows the late rules). Without `by` the stop is for good.",
    ),
    lifted_when: Expression.optional().describe(
      "With `by`: when this is truthy for the event (e.g. {% data.status = 'Denied' %}, a claim refused), the record stops nothing any more: instead of stopping, its stops are lifted from every key, and the timers of each record nothing else stops resume from its last state (a reminder day already past follows the late rules).",
    ),
    as_of: Expression.optional().describe(
      "With `by`: when the source last changed the stopping record (e.g. {% data.updated %}): an event of it older than the newest one applied stops and lifts nothing (a late delivery of a claim's change from before its denial does not stop the timers again). An event without a stamp is applied.",
    ),
  })
  .strict()
  .refine((s) => s.lifted_when === undefined || s.by !== undefined, { message: 'lifted_when needs by: it lifts the stops of the record that `by` names', path: ['lifted_when'] })
  .refine((s) => s.as_of === undefined || s.by !== undefined, { message: 'as_of needs by: it orders the events of the record that `by` names', path: ['as_of'] });

/** A time of day HH:MM in the business calendar's zone. */
const TimeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day HH:MM, e.g. 09:00');

/**
 * When a timer that is late goes out (README "Timers that follow a record's date", "Late timers"): an
 * offset whose time had already passed when the record became known, or one the runtime was down for.
 */
export const TimerCatchUp = z
  .object({
    until: TimeOfDay.describe(
      "End of the sending window that starts at `at`, in the calendar's zone: a late timer goes out only on a day the trigger fires on (a business day, unless same_day) between `at` and this time; otherwise at `at` of the next such day. E.g. 17:00.",
    ),
    wait: IsoDuration.default('PT0S').describe(
      'How long after the event that made an offset late (the record first seen, or seen again after a cancel) it waits at least, e.g. PT10M, so the news of that event (the approval email) goes first. Default PT0S.',
    ),
  })
  .strict();

/** An event name as a trigger names it: <connector>.<event>. */
const EventName = z.string().regex(/^[a-z][a-z0-9_]*\.[a-z0-9_.]+$/, 'an event is <connector>.<event>, e.g. prm.mdf_request.changed');

export const TimerTrigger = z
  .object({
    type: z.literal('timer'),
    record: z
      .union([EventName, z.array(EventName).min(1)])
      .describe('The event(s) that carry the record, e.g. ["prm.mdf_request.changed", "prm.mdf_request.status_changed"]: each accepted delivery recomputes its timers.'),
    key: Expression.describe('Identifies the record (e.g. {% data.mdfNumber %}); it is also the correlation key stop_on events must carry.'),
    date: Expression.describe('The record date the timers follow, e.g. {% data.endDate %}: a YYYY-MM-DD date or an ISO time.'),
    while: Expression.optional().describe("The record's pending timers are canceled while this is falsy (e.g. {% data.status = 'Approved' %}); true again recomputes them."),
    as_of: Expression.optional().describe("When the source last changed the record (e.g. {% data.updated %}): an event older than the last one applied changes nothing (a late redelivery cannot move a date back)."),
    offsets: z
      .union([z.array(TimerOffset).min(1).superRefine(offsetsOnce), TimerOffsetsTable])
      .describe('When to fire after the date: a list (e.g. [2, 14, 28]), or a table column of whole days (e.g. { "table": "claim-reminders", "column": "days_after_end" }).'),
    at: TimeOfDay.default('09:00')
      .describe("Time of day the timers fire, in the business calendar's time zone. Default 09:00."),
    on_non_business_day: z
      .enum(['next_business_day', 'same_day'])
      .default('next_business_day')
      .describe('A fire day that is a weekend day or holiday moves to the next business day (default), or stays.'),
    catch_up: TimerCatchUp.optional().describe(
      "When a late timer goes out: the latest offset already past when the record became known, or one due while the runtime was down. Without it, at once (whatever the hour). D14: { \"until\": \"17:00\", \"wait\": \"PT10M\" }.",
    ),
    stop_on: z
      .array(TimerStopOn)
      .optional()
      .describe("Events that cancel the record's pending timers when they carry its key as their correlation key (e.g. prm.mdf_claim.submitted: a claim exists): for good, or while the stopping record (`by`) stays with it."),
  })
  .strict()
  .refine((t) => !t.catch_up || t.catch_up.until > t.at, { message: 'catch_up.until must be later in the day than `at` (the window of a late timer starts at `at`)', path: ['catch_up', 'until'] })
  .describe("Fires after a date field of a record (D14: 2, 14 and 28 days after an activity's end), recomputed on every event that carries the record.");

export const RunTrigger = z
  .object({ type: z.literal('run') })
  .strict()
  .describe("Started by another recipe's `runs.start` step (once per its key); `trigger.data` is that step's `input`.");

export const Trigger = z.discriminatedUnion('type', [WebhookTrigger, PollTrigger, ScheduleTrigger, TimerTrigger, RunTrigger]);
export type Trigger = z.infer<typeof Trigger>;

export const CancelOn = z
  .object({
    event: z.string().min(3).describe('An event name, e.g. prm.mdf_request.status_changed.'),
    filter: Expression.optional().describe(
      'Cancel only when this is truthy for the event (`data`). `$run.waiting_for` is the signal or event the run rests on in a `wait_for` (null while it runs, sleeps or retries): a run past its waits is then not stopped by the echo of its own write. `$run.trigger` is the event the run started on (`$run.trigger.data`): an event about a state older than the run\'s own (a late delivery) can be told from a new one.',
    ),
    reason: Expression.optional().describe(
      'Why the run was canceled, in words for people, evaluated with the event (`data`): the run keeps it and its approval links show it (e.g. "The request was already decided in the PRM: it is Approved there.").',
    ),
  })
  .strict()
  .describe("Cancels the run when the event arrives for the run's correlation key (e.g. the MDF number).");

export const Recipe = z
  .object({
    $schema: z.string().optional(),
    name: z.string().regex(/^[a-z][a-z0-9-]{1,62}$/, 'a recipe name is kebab-case'),
    version: z.number().int().positive().describe('Bump when the steps change; live runs finish on the version they started with.'),
    description: z.string().min(1),
    trigger: Trigger,
    cancel_on: CancelOn.optional(),
    steps: Steps,
    on_error: z
      .object({ steps: Steps })
      .strict()
      .optional()
      .describe('Runs when the run fails (e.g. tell ops); `error` holds what failed.'),
  })
  .strict();
export type Recipe = z.infer<typeof Recipe>;
export type RecipeInput = z.input<typeof Recipe>;
