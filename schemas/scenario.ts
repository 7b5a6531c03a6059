import { z } from 'zod';
import { IsoDuration } from './recipe.ts';
import { TABLE_ROW_FORM } from './tables.ts';

/**
 * A scenario tests recipes like code: seed the simulated systems and tables, set the clock, deliver
 * events, click links in emails, move the clock, and expect emails, records and runs. Scenario files
 * (`*.scenario.json`) sit beside the recipes they test; `partnerflow test` and `npm test` run them.
 */

// zod says "Invalid ISO datetime", which leaves out the form (a T, seconds, a zone: Z or +01:00).
const Time = z.iso
  .datetime({ offset: true, error: (issue) => (issue.input === undefined ? undefined : `an ISO 8601 time with its zone, e.g. 2026-03-06T10:00:00Z or 2026-03-06T11:00:00+01:00; got ${JSON.stringify(issue.input)}`) })
  .describe('An ISO 8601 time, e.g. 2026-03-06T10:00:00Z.');
const Json = z.record(z.string(), z.unknown());

export const ScenarioSeed = z
  .object({
    prm: z
      .object({
        partners: z.array(Json).optional().describe('Partner accounts (camelCase, as the PRM returns them). Replace the demo partners when given.'),
        mdf_requests: z.array(Json).optional().describe('MDF requests already in the PRM (camelCase). Replace the demo requests when given.'),
        mdf_claims: z.array(Json).optional().describe('MDF claims already in the PRM (camelCase, each with its mdfNumber; status Open unless given). The demo has none.'),
        leads: z.array(Json).optional().describe('Partner-facing leads already in the PRM (camelCase: email, phone, partnerAccountId, partnerSyncedDate…). The demo has none.'),
      })
      .strict()
      .optional(),
    marketo: z
      .object({
        leads: z.array(Json).optional().describe('Leads in Marketo (fields by API name, connectors/marketo/marketo-lead-fields.ts). Replace the demo leads when given; the demo list and campaign stay.'),
      })
      .strict()
      .optional(),
    salesforce: z.record(z.string(), z.array(Json)).optional().describe('Records per sObject, e.g. { "PartnerFundRequest": [ … ] }, besides an Account per PRM partner.'),
    tables: z.record(z.string(), z.array(z.record(z.string(), z.unknown(), { error: (issue) => (issue.code === 'invalid_type' && issue.input !== undefined ? TABLE_ROW_FORM : undefined) }))).optional().describe('Table rows that replace the shipped table of that name, e.g. { "leave": [ … ] }.'),
    calendar: Json.optional().describe('Replaces the business calendar.'),
  })
  .strict();

const Deliver = z
  .object({
    deliver: z
      .object({
        source: z.string().default('prm').describe('The connector whose webhook this is (POST /webhooks/<source>).'),
        event: z.string().describe('Event name without the source, e.g. mdf_request.submitted.'),
        data: Json.optional().describe('The event data. Give this, `mdf_request` or `mdf_claim`.'),
        mdf_request: z.string().optional().describe('Send the PRM MDF request with this MDF number, as the PRM has it now.'),
        mdf_claim: z.string().optional().describe('Send the PRM MDF claim with this title (exactly; the lowest id when several have it), as the PRM has it now.'),
        delivery_id: z.string().optional().describe('Defaults to a fresh id; repeat one to test deduplication.'),
        expect_status: z.number().int().default(202).describe('The HTTP status the webhook must answer.'),
      })
      .strict(),
  })
  .strict();

const Click = z
  .object({
    click: z
      .object({
        to: z.email().describe('Whose mailbox: the newest email to this address (To, Cc or Bcc; any letter case) with such a link, among those that match `subject` and `body_contains`. Without either, fails when the emails carry links of more than one waiting approval.'),
        link: z.enum(['approve', 'deny']).describe('Which link in the email.'),
        subject: z.string().optional().describe('Only an email whose subject contains this, e.g. an MDF number: with two requests waiting on one approver, says which to decide.'),
        body_contains: z.string().optional().describe('Only an email whose text body contains this, e.g. an MDF number.'),
        comment: z.string().optional().describe('The comment the decider types on the confirmation page.'),
        confirm: z.boolean().default(true).describe('Also press the button on the confirmation page (POST). false only opens the page.'),
        expect_status: z.number().int().default(200).describe('The HTTP status the confirmation must answer.'),
        expect_page_contains: z.string().optional().describe('The page answered (the confirmation page, or the result of the POST) contains this.'),
        expect_page_not_contains: z.string().optional().describe('The page answered does not contain this.'),
      })
      .strict(),
  })
  .strict();

const Update = z
  .object({
    update: z
      .object({
        mdf_request: z.string().describe('The MDF number of the request ops change in the PRM.'),
        set: Json.describe('Fields to set (camelCase), e.g. { "status": "Canceled" } or { "endDate": "2026-04-10" }.'),
        event: z.string().default('mdf_request.status_changed').describe('The PRM webhook the change sends, e.g. mdf_request.changed for a field other than the status. Empty string: none.'),
      })
      .strict(),
  })
  .strict();

const ChangePartner = z
  .object({
    change_partner: z
      .object({
        id: z.number().int().positive().describe('The partner account ops change in the PRM, by its id (an MDF request\'s partnerId).'),
        set: Json.optional().describe('Fields to set (camelCase), e.g. { "contactEmail": "marketing@northwind.example" }.'),
        delete: z.literal(true).optional().describe('true: ops delete the account; reads of it answer 404 from then on.'),
      })
      .strict()
      .refine((c) => (c.set === undefined) !== (c.delete === undefined), { message: 'give `set` or `"delete": true` (one of them)' }),
  })
  .strict()
  .describe('Ops change or delete a partner account in the PRM. The PRM sends no webhook for accounts.');

// ── Claims (D14–D19) ──────────────────────────────────────────────────────────────────────────
const SubmitClaim = z
  .object({
    submit_claim: z
      .object({
        claim: Json.describe('The claim as the partner fills it in (camelCase: mdfNumber, title, amount, paidDate, actualCosts, attachments [{ name, kind, url }]). The PRM adds id, status Open and the timestamps.'),
        delivery_id: z.string().optional().describe('Defaults to a fresh id.'),
        expect_status: z.number().int().default(202).describe('The HTTP status the webhook must answer.'),
      })
      .strict(),
  })
  .strict()
  .describe('A partner submits a claim: it is created in the PRM and its mdf_claim.submitted event is delivered.');

const ChangeClaim = z
  .object({
    change_claim: z
      .object({
        title: z.string().optional().describe('The claim ops change, by its exact title (the lowest id when several have it).'),
        id: z.number().int().positive().optional().describe('The claim ops change, by its PRM id (a seeded claim\'s id): for titles several claims share.'),
        set: Json.describe('Fields to set (camelCase), e.g. { "missingPop": "POP" }, { "status": "Approved" }, { "purchaseOrderNumber": "PO-1" }.'),
        event: z.string().default('mdf_claim.changed').describe('The PRM webhook the change sends. Empty string: none.'),
      })
      .strict()
      .refine((c) => (c.title === undefined) !== (c.id === undefined), { message: 'give exactly one of `title` and `id`' }),
  })
  .strict()
  .describe('Ops change a claim in the PRM (Missing POP, status, purchase order number) and the PRM sends its event.');

const Fault = z
  .object({
    fault: z
      .object({
        system: z.enum(['prm', 'salesforce', 'email', 'marketo']).describe('The simulated system that fails.'),
        kind: z
          .enum(['rate_limit', 'server_error', 'expired_token', 'network_error', 'too_many_concurrent', 'daily_quota', 'refused'])
          .describe("How it fails, in the system's own way: a rate limit (Marketo: 606), a 500, an expired token or session (Marketo: 602), no answer at all; too_many_concurrent is Marketo's 615 (other systems answer it as their rate limit); daily_quota (Marketo only) spends the rest of the day's API quota at the matching request, so it and every call after it answer 607 until the reset (midnight America/Chicago); refused (email only) is the provider refusing the message for good: 422 with ErrorCode 406, the recipient is marked inactive (a hard bounce or a spam complaint)."),
        times: z.number().int().positive().optional().describe('How many matching requests fail. Default: 1, or every one while `for` lasts.'),
        for: IsoDuration.optional().describe('An outage: the fault hits matching requests for this long on the clock (every one, unless `times` is given), then requests pass again, e.g. "P4D".'),
        path: z.string().optional().describe('Only requests whose path contains this.'),
        method: z.string().optional().describe('Only requests with this HTTP method, e.g. PATCH.'),
        to: z.email().optional().describe('email only: only a message sent to this address (To, Cc or Bcc, any letter case), e.g. the approval email and not the receipt.'),
        subject: z.string().optional().describe('email only: only a message whose subject contains this.'),
        retry_after_seconds: z.number().int().nonnegative().optional().describe('The Retry-After of a rate_limit, for the systems that send one (not Salesforce). Default: 1.'),
      })
      .strict()
      .refine((f) => f.system === 'email' || (f.to === undefined && f.subject === undefined), {
        message: '`to` and `subject` pick one email message: they need "system": "email" (use `path` and `method` for the PRM and Salesforce)',
        path: ['to'],
      })
      .refine((f) => f.kind !== 'daily_quota' || f.system === 'marketo', {
        message: 'daily_quota is Marketo\'s 607: it needs "system": "marketo" (the other systems\' limits are rate_limit)',
        path: ['kind'],
      })
      .refine((f) => f.kind !== 'refused' || f.system === 'email', {
        message: 'refused is the email provider refusing a message for good (422, inactive recipient): it needs "system": "email"',
        path: ['kind'],
      }),
  })
  .strict();

const ImportLeads = z
  .object({
    import_leads: z
      .object({
        csv: z.string().optional().describe('The CSV text, as ops upload it (header line first). Give this or `file`.'),
        file: z.string().optional().describe('A CSV file, relative to the scenario file. Give this or `csv`.'),
        expect_status: z.number().int().default(202).describe('The HTTP status POST /imports/leads must answer (400, 413, 415: the file is refused).'),
        expect_accepted: z.number().int().nonnegative().optional().describe('How many rows the report accepts.'),
        expect_refused: z
          .array(z.object({ row: z.number().int().positive(), reason: z.string().describe('The reason contains this.') }).strict())
          .optional()
          .describe('Exactly the rows the report refuses (row 1 is the first line after the header), each with its reason.'),
        expect_not_opted_in: z.array(z.number().int().positive()).optional().describe('Exactly the accepted rows the report says are imported but not opted in (D22).'),
        expect_error: z.string().optional().describe('A refused file: the answer\'s error contains this (e.g. "line 3").'),
        expect_already_imported: z.boolean().optional().describe('Whether the report says the file was imported before (nothing imported again).'),
        expect_run_status: z.string().optional().describe("The import run's status the report gives (for a file imported before: how that import went), e.g. failed."),
        expect_run_error: z.string().optional().describe("The report's run_error contains this (a failed import: where, why, and the retry)."),
      })
      .strict()
      .refine((i) => (i.csv === undefined) !== (i.file === undefined), { message: 'give `csv` or `file` (one of them)' }),
  })
  .strict()
  .describe('Ops import a CSV of booth scans (POST /imports/leads, D22); the runs it starts run until idle.');

const WorkLead = z
  .object({
    work_lead: z
      .object({
        email: z.string().describe('The lead, by email (any letter case).'),
        set: Json.default({}).describe('Fields the partner changes, e.g. { "status": "Contacted" } in the PRM (camelCase), { "leadStatus": "Contacted" } in Marketo (API names); none: the lead is only touched.'),
        in: z
          .enum(['prm', 'marketo'])
          .default('prm')
          .describe("prm: the partner changes the lead in the portal (its `updated` becomes now). marketo: the partner's change reaches the Marketo lead (through the PRM → Salesforce → Marketo sync): each changed field is a Change Data Value activity now."),
      })
      .strict(),
  })
  .strict()
  .describe('A partner works a lead (D24, D25: activity), in the portal or as it reaches Marketo.');

const MergeMarketoLeads = z
  .object({
    merge_marketo_leads: z
      .object({
        email: z.string().describe('The duplicates to merge: every Marketo lead with this email (any letter case); at least two.'),
        into: z.number().int().positive().optional().describe('The id of the lead that remains (the winner); one of them. Default: the lowest id.'),
      })
      .strict(),
  })
  .strict()
  .describe("Ops merge duplicate leads in Marketo (its UI, or POST /rest/v1/leads/<id>/merge.json): the others are merged into one and their ids are gone (an update by id answers 1004).");

const Retry = z
  .object({
    retry: z
      .object({
        recipe: z.string().describe('The recipe whose failed run ops retry (POST /runs/:id/retry), from the step that failed.'),
        key: z.string().optional().describe("Only the failed run with this business key (its correlation or dedup key: an MDF request's MDF number). Needed when several runs of the recipe failed."),
        expect_status: z.number().int().default(200).describe('The HTTP status the retry must answer (409: the run cannot be retried). With a status other than 200 and a `key`, the run of that key is retried whatever its status now (ops retry a run they saw fail that an event canceled since).'),
      })
      .strict(),
  })
  .strict();

const ChangeTable = z
  .object({
    change_table: z
      .object({
        table: z.string().describe('The table ops edit mid-scenario, e.g. approvers; later lookups read the new rows.'),
        add: z.array(Json).optional().describe('Rows to add, checked as the table file is.'),
        where: Json.optional().describe('The rows to change or remove: those whose fields equal these. At least one must match.'),
        set: Json.optional().describe('Fields to set on the rows that match `where`.'),
        remove: z.boolean().optional().describe('true: remove the rows that match `where`.'),
      })
      .strict()
      .refine((c) => c.add !== undefined || c.where !== undefined, { message: 'give `add`, or `where` with `set` or `remove`' })
      .refine((c) => c.where === undefined || (c.set !== undefined) !== (c.remove === true), { message: '`where` needs `set` or `"remove": true` (one of them)', path: ['where'] }),
  })
  .strict();

const ChangeSalesforce = z
  .object({
    change_salesforce: z
      .object({
        object: z.string().describe('The sObject, e.g. PartnerFundRequest.'),
        where: Json.describe('The records ops edit in Salesforce: those whose fields equal these. At least one must match.'),
        set: Json.describe('Fields to set, checked as the org checks an update (an unknown field or picklist value fails the step).'),
      })
      .strict(),
  })
  .strict();

export const ExpectedEmail = z
  .object({
    to: z.email().describe('A recipient of the email (To).'),
    subject: z.string().optional().describe('The subject contains this.'),
    body_contains: z.union([z.string(), z.array(z.string())]).optional().describe('The text body contains each of these.'),
    body_not_contains: z.union([z.string(), z.array(z.string())]).optional().describe('The text body contains none of these.'),
    html_contains: z.union([z.string(), z.array(z.string())]).optional().describe('The HTML body contains each of these (as sent: escaped, e.g. &amp;).'),
    html_not_contains: z.union([z.string(), z.array(z.string())]).optional().describe('The HTML body contains none of these.'),
    cc: z.array(z.email()).optional().describe('Exactly these Cc addresses, in any order and letter case ([]: no Cc).'),
  })
  .strict();

export const ExpectedRecord = z
  .object({
    system: z.enum(['prm', 'salesforce', 'marketo']).describe('The simulated system that holds the record.'),
    object: z.string().describe('prm: mdf_request, mdf_claim, partner or lead; salesforce: an sObject such as PartnerFundRequest; marketo: lead.'),
    where: Json.describe('Field values that identify the record, e.g. { "mdfNumber": "MDF-1001" }.'),
    fields: Json.optional().describe('Field values the record must have.'),
    count: z.number().int().nonnegative().optional().describe('How many records must match `where` (0: none).'),
  })
  .strict();

export const ExpectedRun = z
  .object({
    recipe: z.string().describe('The recipe name.'),
    status: z.enum(['queued', 'running', 'waiting', 'completed', 'failed', 'canceled']).describe('The run status now.'),
    count: z.number().int().nonnegative().optional().describe('How many runs of the recipe have this status. Default: at least one.'),
    error_contains: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .describe("Only runs whose error (a failed run's, or a step's that waits to try again, as the journal shows it) contains each of these, e.g. \"error 607\"."),
  })
  .strict();

export const ExpectedMoment = z
  .object({
    email: z.string().describe('The Marketo lead, by email (any letter case).'),
    contains: z.string().optional().describe("The moment's description contains this, e.g. \"CHANNEL LEAD with Northwind Cloud\"."),
    count: z.number().int().nonnegative().optional().describe('Exactly this many such moments (0: none). Default: at least one.'),
  })
  .strict();

export const ExpectedMarketoChange = z
  .object({
    email: z.string().describe('The Marketo lead, by email (any letter case); after a merge, the lead that remains holds the changes of those merged into it.'),
    field: z.string().describe('The lead field, by API name, e.g. partnerSyncedDate.'),
    count: z.number().int().nonnegative().describe('Exactly this many Change Data Value activities of the field since the scenario started (1: written once; a write of the value a lead already has is no change).'),
  })
  .strict();

export const ExpectedMarketoUsage = z
  .object({
    calls: z.number().int().nonnegative().optional().describe('Exactly this many Marketo REST calls answered since the previous expect (the identity service and refused calls not counted).'),
    calls_at_most: z.number().int().nonnegative().optional().describe('At most this many Marketo REST calls answered since the previous expect.'),
    refused: z
      .object({ '606': z.number().int().nonnegative(), '607': z.number().int().nonnegative(), '615': z.number().int().nonnegative() })
      .partial()
      .strict()
      .optional()
      .describe('Exactly this many calls Marketo refused with each code since the previous expect, e.g. { "606": 0, "615": 0 }: the connector kept under the rate and concurrency limits.'),
    peak_in_flight_at_most: z.number().int().positive().optional().describe('Marketo never had more calls in flight at once since the scenario started (615 beyond 10).'),
  })
  .strict();

const Expect = z
  .object({
    expect: z
      .object({
        emails: z.array(ExpectedEmail).optional().describe('Emails sent since the previous expect, in any order.'),
        no_other_emails: z.boolean().optional().describe('No email was sent since the previous expect besides those listed.'),
        no_emails_to: z.array(z.email()).optional().describe('No email was sent since the previous expect to any of these addresses (To, Cc or Bcc, any letter case).'),
        records: z.array(ExpectedRecord).optional(),
        runs: z.array(ExpectedRun).optional(),
        interesting_moments: z.array(ExpectedMoment).optional().describe('Interesting Moment activities in Marketo (D21), since the scenario started.'),
        marketo_changes: z.array(ExpectedMarketoChange).optional().describe("Change Data Value activities of a Marketo lead's field, since the scenario started: how many times a value was written."),
        marketo: ExpectedMarketoUsage.optional().describe('The calls the simulated Marketo answered and refused since the previous expect (issue 13: prove a recipe stays under its limits).'),
      })
      .strict(),
  })
  .strict();

export const ScenarioStep = z.union([
  Deliver,
  Click,
  Update,
  ChangePartner,
  SubmitClaim,
  ChangeClaim,
  Fault,
  Retry,
  ChangeTable,
  ChangeSalesforce,
  ImportLeads,
  WorkLead,
  MergeMarketoLeads,
  Expect,
  z.object({ advance: IsoDuration.describe('Move the clock forward; every timer due meanwhile fires at its time.') }).strict(),
  z.object({ set_clock: Time.describe('Move the clock to this time (forward only).') }).strict(),
]);
export type ScenarioStep = z.infer<typeof ScenarioStep>;

export const Scenario = z
  .object({
    $schema: z.string().optional().describe('The JSON Schema file, for editors: schemas/json/scenario.schema.json.'),
    name: z.string().min(1).describe('What the scenario shows; `partnerflow test` prints it.'),
    rules: z.array(z.string().regex(/^D\d+$/)).default([]).describe('The rules of docs/rules.md this scenario checks, e.g. ["D4"].'),
    description: z.string().optional().describe('More about the scenario, for its readers.'),
    clock: Time.default('2026-03-02T09:00:00Z').describe('Where the virtual clock starts.'),
    seed: ScenarioSeed.default({}).describe('What the simulated systems and tables hold at the start; what is not given is the demo data and the shipped tables.'),
    steps: z.array(ScenarioStep).min(1).describe('Run in order; the first step that fails ends the scenario.'),
  })
  .strict();
export type Scenario = z.infer<typeof Scenario>;
