import { z } from 'zod';
import { ClaimAttachmentKind, MdfClaimStatus, MissingPopItem } from '../../schemas/domain/mdf-claim.ts';
import { ActivityDelivery, MdfRequestStatus } from '../../schemas/domain/mdf-request.ts';
import { IsoDate } from '../../schemas/domain/prm-fields.ts';
import { RUN_ID_CURSOR } from './runs-page-query.ts';

/**
 * The shapes the HTTP API reads and writes, in one place: routes validate requests with them, the
 * serializers are typed by them, and `GET /openapi.json` is generated from them (z.toJSONSchema), so
 * the document cannot drift from the code.
 *
 * Naming: the API speaks camelCase like the store's types, with ISO 8601 times for every epoch-ms
 * field. The one exception is the webhook exchange (`id`, `occurred_at`, `delivery_id`, `run_ids`),
 * which follows the webhook conventions of the systems that call it (snake_case JSON).
 */

const IsoTime = z.iso.datetime({ offset: true }).describe('ISO 8601 time');

export const Issue = z.object({
  path: z.string().describe('Where the problem is: `$` for the whole body, otherwise a path such as `data.amount`'),
  message: z.string(),
});

export const ErrorBody = z
  .object({
    error: z.string().describe('What went wrong, for a person to read'),
    issues: z.array(Issue).optional(),
    requestId: z.string().optional().describe('Quote it when reporting a server error; the log line carries it too'),
  })
  .meta({ id: 'Error' });

// ── Webhooks ──────────────────────────────────────────────────────────────────────────────────
export const WebhookDelivery = z
  .object({
    id: z
      .string()
      .min(1)
      .max(200)
      // A blank id is a sender's bug, and every delivery after the first under it would be taken for a redelivery and dropped.
      .regex(/\S/, 'is blank: give each event an id of its own (one that is not only spaces), and the same id when sending it again')
      .describe('Delivery id: the sender repeats it when it retries, which makes the delivery idempotent'),
    event: z.string().min(1).max(200).describe('Event name without the source prefix, e.g. `mdf_request.submitted`'),
    occurred_at: IsoTime.optional(),
    // looseObject, not record: the event's schema checks the fields, and a record parses every key (half the envelope's cost).
    data: z.looseObject({}).describe("The event's record; validated by the event's own schema"),
  })
  .meta({ id: 'WebhookDelivery' });

export const WebhookAccepted = z
  .object({
    delivery_id: z.string(),
    duplicate: z.boolean().describe('True when this delivery id was accepted before; nothing new was started'),
    run_ids: z.array(z.string()).describe('The runs the delivery started (the first delivery’s runs for a duplicate)'),
  })
  .meta({ id: 'WebhookAccepted' });

// ── Approvals ─────────────────────────────────────────────────────────────────────────────────
export const Decision = z.enum(['approve', 'deny']);

export const DecisionForm = z
  .object({
    decision: Decision,
    comment: z.string().max(2000).optional(),
  })
  .meta({ id: 'DecisionForm' });

export const DecisionQuery = z.object({ decision: Decision.optional().describe('Preselects the decision on the page') });

export const DecisionResult = z
  .object({
    outcome: z.enum(['decided', 'unknown', 'used', 'expired', 'closed']),
    decision: Decision.nullable().describe('The decision recorded on this link, when there is one'),
    message: z.string(),
  })
  .meta({ id: 'DecisionResult' });

// ── Runs ──────────────────────────────────────────────────────────────────────────────────────
export const RunStatus = z.enum(['queued', 'running', 'waiting', 'completed', 'failed', 'canceled']);

const RunErrorView = z.object({ name: z.string(), message: z.string(), stepKey: z.string().optional() });

const TriggerView = z.object({
  type: z.string(),
  event: z.string().optional(),
  source: z.string().optional(),
  deliveryId: z.string().optional(),
  receivedAt: IsoTime,
  data: z.unknown(),
});

export const RunView = z
  .object({
    id: z.string(),
    recipe: z.string(),
    recipeVersion: z.number().int(),
    recipeHash: z.string(),
    status: RunStatus,
    trigger: TriggerView,
    dedupKey: z.string(),
    correlationKey: z.string().nullable(),
    wakeAt: IsoTime.nullable().describe('When the run is due next; null while only a decision or an event can resume it'),
    leaseOwner: z.string().nullable(),
    leaseUntil: IsoTime.nullable(),
    error: RunErrorView.nullable(),
    createdAt: IsoTime,
    updatedAt: IsoTime,
    finishedAt: IsoTime.nullable(),
  })
  .meta({ id: 'Run' });

/**
 * A run in a list (`GET /runs`): its trigger's data only when small, else its size alone. A lead
 * import's trigger holds every row of its CSV: a list of such runs was hundreds of MB.
 */
export const RunSummaryView = RunView.extend({
  trigger: TriggerView.extend({
    data: z.unknown().optional().describe('The trigger data (redacted), when its JSON is at most 4096 bytes; absent when larger: `GET /runs/:id` has it whole'),
    dataBytes: z.number().int().nonnegative().describe('The size of the trigger data as JSON, in bytes (UTF-8)'),
  }),
}).meta({ id: 'RunSummary' });

export const WaitView = z.union([
  z.object({ kind: z.literal('time'), until: IsoTime }),
  z.object({ kind: z.literal('signal'), signal: z.string(), deadline: IsoTime.nullable() }),
  z.object({ kind: z.literal('event'), event: z.string(), key: z.string(), deadline: IsoTime.nullable() }),
]);

export const JournalEntryView = z
  .object({
    stepKey: z.string(),
    stepId: z.string(),
    stepType: z.string(),
    status: z.enum(['running', 'waiting', 'completed', 'failed', 'skipped']),
    input: z.unknown(),
    output: z.unknown(),
    error: RunErrorView.nullable(),
    attempts: z.number().int(),
    startedAt: IsoTime,
    finishedAt: IsoTime.nullable(),
    nextAttemptAt: IsoTime.nullable(),
    wait: WaitView.nullable(),
    notes: z.array(z.string()),
  })
  .meta({ id: 'JournalEntry' });

/** `POST /runs/:id/retry`'s optional body: which version of its recipe the run goes on as. */
export const RetryBody = z
  .object({
    recipe_version: z
      .enum(['started', 'current'])
      .default('started')
      .describe('`started` (the default): the version the run started on. `current`: the version served now, after a fix of the recipe that failed the run.'),
  })
  .strict();

/**
 * A listing's `limit`: one message for every way it can be wrong (`abc`, empty, `0`, `1.5`, `500`), in
 * place of zod's "expected number, received NaN" or "Too small" for an empty value.
 */
function pageLimit() {
  const error = 'a whole number from 1 to 200 (50 when not given)';
  return z.coerce.number({ error }).int({ error }).min(1, { error }).max(200, { error }).default(50);
}

export const RunsQuery = z.object({
  status: RunStatus.optional(),
  recipe: z.string().min(1).optional(),
  key: z.string().min(1).optional().describe("The business key (the run's correlation key): an MDF number, a claim, a lead"),
  limit: pageLimit(),
  before: z.string().regex(RUN_ID_CURSOR, 'the `nextBefore` of the previous page (a run id)').optional().describe('`nextBefore` of the previous page'),
});

export const RunList = z
  .object({
    runs: z.array(RunSummaryView).describe('Newest first; each trigger\'s data only when small (`dataBytes` gives its size): `GET /runs/:id` has it whole'),
    nextBefore: z.string().nullable().describe('Pass as `before` for the next page; null on the last page'),
  })
  .meta({ id: 'RunList' });

export const RunDetail = z.object({ run: RunView, journal: z.array(JournalEntryView) }).meta({ id: 'RunDetail' });

// ── Recipes and timers ────────────────────────────────────────────────────────────────────────
export const RecipeView = z
  .object({
    name: z.string(),
    version: z.number().int(),
    hash: z.string(),
    description: z.string(),
    trigger: z.unknown().describe("The recipe's trigger as written"),
  })
  .meta({ id: 'Recipe' });

export const RecipeList = z.object({ recipes: z.array(RecipeView) }).meta({ id: 'RecipeList' });

/** A time in epoch milliseconds as a cursor writes it: digits that make a safe integer. */
const CURSOR_TIME = /^\d{1,15}$/;

export const TimersQuery = z.object({
  limit: pageLimit().describe('At most this many of each list (1 to 200).'),
  after: z
    .string()
    .regex(/^\d{1,15}\.\d{1,15}$/, 'the `nextAfter` of the previous page')
    .optional()
    .describe('Business timers after this one: the `nextAfter` of the previous page. Given alone, only business timers are listed.'),
  runsAfter: runWakeCursor('runsAfter')
    .optional()
    .describe('Run wake-ups after this one: the `nextRunsAfter` of the previous page. Given alone, only run wake-ups are listed.'),
});

/** `runs_after`, the former name of `runsAfter` (before the API's cursors were all camelCase, as `nextBefore` of `GET /runs`): still read, never with `runsAfter`. */
export const FORMER_TIMERS_QUERY = z.object({ runs_after: runWakeCursor('runs_after').optional() });

function runWakeCursor(name: string) {
  return z.string().refine((cursor) => {
    const dot = cursor.indexOf('.');
    return dot > 0 && CURSOR_TIME.test(cursor.slice(0, dot)) && /^[A-Za-z0-9_-]{1,100}$/.test(cursor.slice(dot + 1));
  }, `the \`nextRunsAfter\` of the previous page${name === 'runsAfter' ? '' : ' (runs_after is the former name of runsAfter)'}`);
}

export const TimerView = z
  .object({
    runId: z.string(),
    recipe: z.string(),
    status: RunStatus,
    wakeAt: IsoTime,
    stepKey: z.string().nullable().describe('The step the run waits in, when it waits in one'),
  })
  .meta({ id: 'Timer' });

/** A pending business timer (a `timer` trigger's offset for one record, e.g. D14's day-14 reminder of MDF-0901). */
export const BusinessTimerView = z
  .object({
    recipe: z.string(),
    key: z.string().describe("The record's key, e.g. the MDF number"),
    offset: z.union([z.number().int(), z.string()]).describe('Days after the date (or the ISO duration, or business days as 3BD)'),
    fires_at: IsoTime.describe('When it fires: the day at the trigger\'s time of day, moved off weekends and holidays'),
    date: z.string().describe("The record's date it follows, e.g. the activity's end date"),
  })
  .meta({ id: 'BusinessTimer' });

/** A served recipe's `schedule` trigger and when it fires next. */
export const ScheduleView = z
  .object({
    recipe: z.string(),
    cron: z.string().describe('The five-field cron, e.g. "0 7 * * 1-5"'),
    timezone: z.string().describe('The IANA time zone the cron is read in'),
    fires_at: IsoTime.nullable().describe('When it fires next: the slot after its newest run, or after now when it never fired. Before now when a slot was missed while no replica ran (the engine starts it at its next claim); null when never, or when this runtime cannot compute it (a time zone its ICU lacks: the engine skips the schedule and logs why)'),
  })
  .meta({ id: 'Schedule' });

/** A served recipe's `poll` trigger and when it polls next. */
export const PollView = z
  .object({
    recipe: z.string(),
    action: z.string().describe('The action polled, e.g. salesforce.list_changed_fund_records'),
    every: z.string().describe('The ISO 8601 interval, e.g. PT5M'),
    fires_at: IsoTime.describe('When it polls next; now (or earlier) for a poll that is due, and for a recipe never polled yet'),
    failures: z.number().int().nonnegative().describe('Polls that failed in a row (0 after one that worked); a failed poll is tried again at the next interval'),
    last_error: z.string().nullable().describe('Why the last poll failed; null once one worked'),
  })
  .meta({ id: 'Poll' });

export const TimerList = z
  .object({
    timers: z.array(TimerView).describe('Unfinished runs with a wake time, soonest first, paged with `runsAfter` (empty when only `after` is given)'),
    business_timers: z.array(BusinessTimerView).describe('Pending business timers, soonest first, paged with `after` (empty when only `runs_after` is given)'),
    schedules: z.array(ScheduleView).describe('Every served `schedule` recipe with its next fire time, soonest first, on the first page only (empty when a cursor is given)'),
    polls: z.array(PollView).describe('Every served `poll` recipe with its next poll time, soonest first, on the first page only (empty when a cursor is given)'),
    nextAfter: z.string().nullable().describe('Pass as `after` for the next page of business timers; null on the last page, or when they were not listed'),
    nextRunsAfter: z.string().nullable().describe('Pass as `runsAfter` for the next page of run wake-ups; null on the last page, or when they were not listed'),
    next_after: z.string().nullable().describe('Deprecated: the same as `nextAfter`, its former name, kept for existing clients'),
    next_runs_after: z.string().nullable().describe('Deprecated: the same as `nextRunsAfter`, its former name, kept for existing clients'),
  })
  .meta({ id: 'TimerList' });

// ── Health ────────────────────────────────────────────────────────────────────────────────────
export const Health = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    store: z.enum(['sqlite', 'postgres']).describe('The store this replica runs on'),
    store_reachable: z.boolean().describe('Whether the store answered a trivial query within 2 s (503 when not); on PostgreSQL on a connection of its own, so a busy pool is not an unreachable store'),
    worker_id: z.string().describe("This replica's PARTNERFLOW_WORKER_ID: the name in its run leases and its /metrics `worker` label"),
    pool_in_use: z.number().int().optional().describe('PostgreSQL: connections of the pool running a statement (PARTNERFLOW_DATABASE_POOL_SIZE at most)'),
    pool_waiting: z.number().int().optional().describe('PostgreSQL: store statements waiting for a free pooled connection (the pool is saturated while above 0; the replica is still healthy)'),
    error: z.string().optional(),
  })
  .meta({ id: 'Health' });

// ── Mock mode ─────────────────────────────────────────────────────────────────────────────────
export const MailboxQuery = z.object({ to: z.string().min(1).optional().describe('Only messages with this address in to or cc (case-insensitive)') });

export const Mailbox = z.object({ messages: z.array(z.unknown()).describe('Oldest first, newest last') }).meta({ id: 'MockMailbox' });

/** The PRM events `/_mock/prm/webhooks` sends about a claim (the others are about a request). */
export const MOCK_CLAIM_EVENTS = ['mdf_claim.submitted', 'mdf_claim.changed'] as const;

export const MockPrmWebhook = z
  .object({
    event: z
      .enum(['mdf_request.submitted', 'mdf_request.status_changed', 'mdf_request.changed', ...MOCK_CLAIM_EVENTS])
      .describe('The PRM event to send'),
    mdf_number: z.string().min(1).optional().describe('Request events: the simulated PRM sends this MDF request as it has it now'),
    claim_id: z.number().int().positive().optional().describe('Claim events: the simulated PRM sends the claim with this id as it has it now'),
    claim_title: z.string().min(1).optional().describe('Claim events, instead of claim_id: the claim with exactly this title (the lowest id when several have it)'),
    delivery_id: z.string().min(1).max(200).optional().describe('Defaults to a fresh id; repeat one to see deduplication: the same event of the same request or claim under an id sent before is redelivered as it was first sent (a duplicate), whatever the record is now; another request or claim under that id is another event (409)'),
  })
  .superRefine((body, ctx) => {
    const claimEvent = (MOCK_CLAIM_EVENTS as readonly string[]).includes(body.event);
    if (claimEvent && (body.claim_id === undefined) === (body.claim_title === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['claim_id'], message: `${body.event} needs exactly one of claim_id and claim_title` });
    }
    if (!claimEvent && body.mdf_number === undefined) ctx.addIssue({ code: 'custom', path: ['mdf_number'], message: `${body.event} needs mdf_number` });
  })
  .meta({ id: 'MockPrmWebhook' });

/**
 * An attachment as the simulated PRM's claim form takes it: a name, a kind of its picklist, a URL. The
 * runtime reads a real PRM's attachments more leniently (ClaimAttachment: an unknown kind is kept).
 */
const MockAttachment = z
  .object({ name: z.string().min(1), kind: ClaimAttachmentKind, url: z.url() })
  .describe('A file attached to the claim ({ name, kind POP | Lead List | Other, url }): it stays in the PRM (D2)');

/** A date as the simulated PRM's date fields take it (a write of 02/04/2026 is refused there too). */
const MockPaidDate = z.union([z.iso.date({ message: 'a date YYYY-MM-DD' }), z.literal('')]);

/** What a partner fills in on the portal's claim form (D15); blanks are allowed, the intake tells what is missing. */
export const MockClaimSubmission = z
  .object({
    mdfNumber: z.string().min(1).describe('The MDF number of the approved request the claim draws on, e.g. MDF-0901'),
    title: z.string().optional().describe('Claim Title (D15: unique, case and surrounding spaces ignored)'),
    amount: z.number().nonnegative().optional().describe('Claim Amount in USD (D18, D19)'),
    paidDate: MockPaidDate.optional().describe('Paid Date, YYYY-MM-DD'),
    actualCosts: z.number().nonnegative().optional().describe('What the activity actually cost, in USD (D19)'),
    attachments: z.array(MockAttachment).optional().describe('D16: a POP and a Lead List are required'),
  })
  .strict()
  .meta({ id: 'MockClaimSubmission' });

/** What ops change on a claim in the portal. */
export const MockClaimChange = z
  .object({
    missingPop: z.union([MissingPopItem, z.literal('')]).nullable().optional().describe('D17: the missing item (POP, Lead List, Invoice, Other: the PRM\'s picklist); null or "" clears it'),
    status: MdfClaimStatus.optional().describe('Claim Approval Status (D18)'),
    statusReason: z.string().nullable().optional().describe('Why: a denial\'s reason is told to the partner'),
    purchaseOrderNumber: z.string().nullable().optional().describe('D18: once set on an approved claim, the partner is asked for the invoice'),
    title: z.string().optional(),
    amount: z.number().nonnegative().optional(),
    paidDate: MockPaidDate.optional(),
    actualCosts: z.number().nonnegative().optional(),
    attachments: z.array(MockAttachment).optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'give at least one field to change' })
  .meta({ id: 'MockClaimChange' });

export const MockClaimDelivered = z
  .object({
    claim: z.record(z.string(), z.unknown()).describe('The claim as the simulated PRM has it now'),
    webhook: z.object({ status: z.number().int(), body: z.unknown() }).describe('What POST /webhooks/prm answered to the claim\'s event'),
  })
  .meta({ id: 'MockClaimDelivered' });

/**
 * What ops change on an MDF request in the portal: its status (D11, D12), the activity's dates (D14's
 * reminders follow the end date), its amounts and descriptive fields. The form's other fields and the
 * PRM's own (id, MDF number, partner, stamps) are not changed this way.
 */
export const MockRequestChange = z
  .object({
    status: MdfRequestStatus.optional().describe('Status (D11): Open, Approved, Denied, Canceled or Closed'),
    statusReason: z.string().nullable().optional().describe('Why the request was decided or canceled'),
    startDate: IsoDate.optional().describe('Expected Start Date, YYYY-MM-DD'),
    endDate: IsoDate.optional().describe('Expected End Date, YYYY-MM-DD: D14\'s claim reminders follow it'),
    activityName: z.string().min(1).optional(),
    activityType: z.string().min(1).optional(),
    deliveryMode: ActivityDelivery.optional(),
    description: z.string().optional(),
    activityCountry: z.string().regex(/^[A-Za-z]{2}$/, 'an ISO 3166-1 alpha-2 country code, e.g. DE').nullable().optional().describe('D13: outside the region\'s target markets the request is flexi'),
    totalCost: z.number().nonnegative().optional(),
    partnerInvestment: z.number().nonnegative().optional(),
    amountRequested: z.number().nonnegative().optional().describe('The approved amount a claim is checked against (D18)'),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'give at least one field to change' })
  .meta({ id: 'MockRequestChange' });

export const MockRequestDelivered = z
  .object({
    mdf_request: z.record(z.string(), z.unknown()).describe('The request as the simulated PRM has it now'),
    webhook: z
      .object({ event: z.string(), status: z.number().int(), body: z.unknown() })
      .describe('The event the PRM sent (mdf_request.status_changed when the status changed, mdf_request.changed otherwise) and what POST /webhooks/prm answered'),
  })
  .meta({ id: 'MockRequestDelivered' });

/** What a person in finance or ops changes on a Salesforce record: API field names and values, checked as the org checks an update. */
export const MockSalesforceChange = z
  .record(z.string().min(1), z.unknown())
  .refine((body) => Object.keys(body).length > 0, { message: 'give at least one field to change, e.g. {"Status":"Paid"}' })
  .describe('Fields by API name, e.g. {"Status":"Paid"}')
  .meta({ id: 'MockSalesforceChange' });

export const MockSalesforceChanged = z
  .object({ record: z.record(z.string(), z.unknown()).describe('The record as the simulated org has it now (LastModifiedById: the person, not the integration user)') })
  .meta({ id: 'MockSalesforceChanged' });

export const MockRecords = z.unknown().describe('A snapshot of every simulated system’s records');

export const MockClock = z.object({ now: IsoTime }).meta({ id: 'MockClock' });

export const AdvanceClock = z
  .object({ by: z.string().min(2, { error: 'not an ISO 8601 duration (e.g. P2D, PT36H)' }).describe('An ISO 8601 duration, e.g. `P2D` or `PT36H`') })
  // `{"by": "P1D", "to": "2027-01-01"}` moved the clock by a day and said nothing of `to`, which it does not take.
  .strict()
  .meta({ id: 'AdvanceClock' });
