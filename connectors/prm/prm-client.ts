import { z } from 'zod';
import { CLAIM_TITLE_KEY_VERSION, claimTitleKey, MdfClaimStatus } from '../../schemas/domain/mdf-claim.ts';
import { MdfRequestStatus } from '../../schemas/domain/mdf-request.ts';
import { HttpClient, type CallOptions, type HttpTransportOptions } from '../kit/http-client.ts';
import { NotFoundError } from '../kit/http-errors.ts';
import { pagesBySkipTake } from '../kit/paginate.ts';
import { systemClock } from '../../server/engine/clock.ts';
import type { Store } from '../../server/store/store.ts';
import type { ClaimTitleKey } from '../../server/store/claim-title-keys.ts';
import { stampMillis } from '../../schemas/domain/source-stamp.ts';
import { checkPrmKeyRefused, checkPrmResponse, prmErrorMessage } from './prm-errors.ts';
import { PrmMdfClaim, PrmMdfClaimSummary, PrmMdfRequest, PrmPartner, PrmPartnerContact, PrmPartnerLead, PrmRoutingPartner, prmListEnvelope, prmRecordEnvelope } from './prm-records.ts';
import { prmString } from './prm-filter-string.ts';
import { FIRST_PAGE, nextPosition, STAMP_ORDER, stampPositionFilter } from './prm-stamp-position.ts';

export interface PrmClientOptions {
  /** e.g. https://prm.example.com/api/objects/v1 */
  baseUrl: string;
  /** Secret: only ever placed in the Authorization header. */
  apiKey: string;
  tenantId: number;
  /** @default 'MdfRequest__co' */
  mdfRequestObject?: string;
  /** @default 'MdfClaim__co' */
  mdfClaimObject?: string;
  /** @default 'Account' */
  partnerObject?: string;
  /** The partner-facing lead object (D20). @default 'Lead' */
  partnerLeadObject?: string;
  /** Where the claims' title keys are kept for the duplicate-title check (D15): the runtime's store. */
  claimTitles: ClaimTitleIndex;
  http?: HttpTransportOptions;
}

/** What the duplicate-title check needs from the store (claim-title-keys.ts). */
export type ClaimTitleIndex = Pick<Store, 'claimTitleKeysProgress' | 'claimIdsWithTitleKey' | 'saveClaimTitleKeys' | 'dropClaimTitleKeysOfOtherVersions'>;

/**
 * How far before the newest PRM stamp kept the title-key catch-up reads again: the PRM's stamps are in
 * whole seconds and a write may become visible after a later one; a claim stamped more than this
 * before a stamp already seen, and visible only after it, would be missed (docs/rules.md D15).
 */
export const TITLE_KEYS_OVERLAP_MS = 10 * 60_000;

/** Ids per `Id in (…)` read: a page's worth, and a URL far below the usual 8 KB limit. */
const CLAIMS_BY_ID_PER_CALL = 100;

/** Claims per page of the title-key catch-up: what one check holds in memory, and one store transaction. */
const TITLE_KEYS_PAGE = 100;

/** The fields a claim's title key is kept from; the rest of the claim may be in any form. */
const CLAIM_TITLE_FIELDS = z.object({ id: z.number().int().positive(), title: z.unknown().optional(), updated: z.unknown().optional() });

/** A listing's filter, in the PRM's SQL-like syntax: `Region eq 'EMEA' and MarketingReady eq true`. */
export interface PrmListOptions extends CallOptions {
  filter?: string;
  /** @default 'Id asc' (a stable order, so skip/take pages neither skip nor repeat records) */
  orderby?: string;
  /** @default 100 */
  pageSize?: number;
}

const PARTNER_PAGE = prmListEnvelope(PrmPartner);
const PARTNER_ONE = prmRecordEnvelope(PrmPartner);
const PARTNER_CONTACT_ONE = prmRecordEnvelope(PrmPartnerContact);
const PARTNER_CONTACT_PAGE = prmListEnvelope(PrmPartnerContact);
/**
 * The partners of one CRM Partner ID (D20): the first read as a routing partner, as a page of one was; a
 * second (a duplicate account) only by its id and name.
 */
const SameCrmIdOther = z.object({ id: z.number().int(), name: z.string().nullish().catch(null) }).loose();
const SAME_CRM_ID_PAGE = prmListEnvelope(z.unknown()).transform((page, ctx) => {
  const [first, ...rest] = page.data.results;
  const partner = first === undefined ? undefined : PrmRoutingPartner.safeParse(first);
  const others = rest.map((other) => SameCrmIdOther.safeParse(other));
  for (const [i, read] of [partner, ...others].entries()) {
    for (const issue of read?.success === false ? read.error.issues : []) ctx.addIssue({ ...issue, path: ['data', 'results', i, ...issue.path] } as never);
  }
  return { partner: partner?.success ? partner.data : null, others: others.flatMap((o) => (o.success ? [{ id: o.data.id, name: o.data.name ?? null }] : [])) };
});
const MDF_PAGE = prmListEnvelope(PrmMdfRequest);
const MDF_ONE = prmRecordEnvelope(PrmMdfRequest);
const CLAIM_ONE = prmRecordEnvelope(PrmMdfClaim);
/** Listed claims are checked one by one (PrmMdfClaimSummary), so an error names the claim, not a list index. */
const CLAIM_RECORDS_PAGE = prmListEnvelope(z.record(z.string(), z.unknown()));
const LEAD_PAGE = prmListEnvelope(PrmPartnerLead);
const LEAD_ONE = prmRecordEnvelope(PrmPartnerLead);

/**
 * The PRM's objects API (Impartner-style; docs/systems.md, PRM (Impartner), The API): partners and MDF requests, read and updated
 * with typed results. Responses are checked against the domain schemas, so a PRM that changed a field
 * fails here with the field's name rather than three steps later.
 */
export class PrmClient {
  readonly mdfRequestObject: string;
  readonly mdfClaimObject: string;
  readonly partnerObject: string;
  readonly partnerLeadObject: string;
  readonly #http: HttpClient;
  readonly #claimTitles: ClaimTitleIndex;
  readonly #now: () => number;

  constructor(options: PrmClientOptions) {
    this.#claimTitles = options.claimTitles;
    const clock = options.http?.clock ?? systemClock;
    this.#now = () => clock.now();
    this.mdfRequestObject = options.mdfRequestObject ?? 'MdfRequest__co';
    this.mdfClaimObject = options.mdfClaimObject ?? 'MdfClaim__co';
    this.partnerObject = options.partnerObject ?? 'Account';
    this.partnerLeadObject = options.partnerLeadObject ?? 'Lead';
    const apiKey = options.apiKey;
    this.#http = new HttpClient({
      ...options.http,
      system: 'prm',
      baseUrl: options.baseUrl,
      headers: { 'X-PRM-TenantId': String(options.tenantId) },
      auth: { headers: async () => ({ Authorization: `prm-key ${apiKey}` }) },
      responseCheck: (response, body) => checkPrmKeyRefused(response, body) ?? checkPrmResponse(response, body),
      errorMessage: prmErrorMessage,
    });
  }

  /** The longest one PRM call can take, its in-call retries included (HttpClient.longestCallMs). */
  get longestCallMs(): number {
    return this.#http.longestCallMs;
  }

  async getPartner(id: number, options: CallOptions = {}): Promise<PrmPartner> {
    const res = await this.#http.request({ method: 'GET', path: `${this.partnerObject}/${recordId(id)}`, expect: PARTNER_ONE, ...options });
    return res.body.data;
  }

  /** The partner account read leniently, for its name and contact only (the digest and the recall reminder, D23, D24). */
  async getPartnerContact(id: number, options: CallOptions = {}): Promise<PrmPartnerContact> {
    const res = await this.#http.request({ method: 'GET', path: `${this.partnerObject}/${recordId(id)}`, expect: PARTNER_CONTACT_ONE, ...options });
    return res.body.data;
  }

  /** Every partner account read leniently, for its name and contact only (one odd account fails no digest, D23), page by page. */
  listPartnerContacts(options: PrmListOptions = {}): AsyncGenerator<PrmPartnerContact, void, undefined> {
    return this.#list(this.partnerObject, PARTNER_CONTACT_PAGE, options);
  }

  /** Every partner matching the filter, a page of 100 at a time, fetched as the caller iterates. */
  listPartners(options: PrmListOptions = {}): AsyncGenerator<PrmPartner, void, undefined> {
    return this.#list(this.partnerObject, PARTNER_PAGE, options);
  }

  async getMdfRequest(id: number, options: CallOptions = {}): Promise<PrmMdfRequest> {
    return this.#getById(this.mdfRequestObject, MDF_ONE, id, options);
  }

  /** The MDF request with this Funds Request Number, or null when the PRM has none. */
  async findMdfRequestByNumber(mdfNumber: string, options: CallOptions = {}): Promise<PrmMdfRequest | null> {
    const res = await this.#http.request({
      method: 'GET',
      path: this.mdfRequestObject,
      query: { filter: `MdfNumber eq ${prmString(mdfNumber)}`, skip: 0, take: 1 },
      expect: MDF_PAGE,
      ...options,
    });
    return res.body.data.results[0] ?? null;
  }

  /** Like findMdfRequestByNumber, but a missing request is a NotFoundError naming the number. */
  async getMdfRequestByNumber(mdfNumber: string, options: CallOptions = {}): Promise<PrmMdfRequest> {
    const found = await this.findMdfRequestByNumber(mdfNumber, options);
    if (found) return found;
    throw new NotFoundError({
      system: 'prm',
      status: 404,
      method: 'GET',
      url: this.mdfRequestObject,
      code: 'NotFound',
      message: `prm: no MDF request numbered ${mdfNumber} (object ${this.mdfRequestObject})`,
    });
  }

  /** Every MDF request matching the filter (e.g. `Status eq 'Open'`), fetched as the caller iterates. */
  listMdfRequests(options: PrmListOptions = {}): AsyncGenerator<PrmMdfRequest, void, undefined> {
    return this.#list(this.mdfRequestObject, MDF_PAGE, options);
  }

  /**
   * Sets an MDF request's status (D11) and the reason shown to the partner. Writes take PascalCase
   * fields; the answer is the updated record. Setting the same status twice has the effect of once.
   * Without a reason the previous one is cleared, so an approval does not carry an old denial's reason.
   */
  async updateMdfRequestStatus(id: number, status: MdfRequestStatus, reason?: string | null, options: CallOptions = {}): Promise<PrmMdfRequest> {
    const checked = MdfRequestStatus.parse(status);
    return this.#setStatus(this.mdfRequestObject, MDF_ONE, id, { Status: checked, StatusReason: reason ?? null }, options);
  }

  /**
   * Sets an MDF request's amount (Total Amount Required), e.g. an amount finance changed in Salesforce
   * (D1). Idempotent: the same amount twice has the effect of once. The answer is the updated record.
   */
  async updateMdfRequestAmount(id: number, amount: number, options: CallOptions = {}): Promise<PrmMdfRequest> {
    const res = await this.#http.request({ method: 'PATCH', path: `${this.mdfRequestObject}/${recordId(id)}`, body: { AmountRequested: amount }, idempotent: true, expect: MDF_ONE, ...options });
    return res.body.data;
  }

  /** A claim by its record id; an id the PRM does not know is a NotFoundError with the PRM's message. */
  async getMdfClaim(id: number, options: CallOptions = {}): Promise<PrmMdfClaim> {
    return this.#getById(this.mdfClaimObject, CLAIM_ONE, id, options);
  }

  /**
   * Claims matching the filter, read leniently (PrmMdfClaimSummary: id, MDF number, title, status,
   * amount; other fields kept as they come): a claim that breaks even that fails naming its id.
   */
  async *listMdfClaimSummaries(options: PrmListOptions = {}): AsyncGenerator<PrmMdfClaimSummary, void, undefined> {
    for await (const record of this.#list(this.mdfClaimObject, CLAIM_RECORDS_PAGE, options)) {
      const parsed = PrmMdfClaimSummary.safeParse(record);
      if (parsed.success) {
        yield parsed.data;
        continue;
      }
      const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(record)'}: ${issue.message}`).join('; ');
      throw new Error(`prm: claim ${JSON.stringify(record.id ?? null)} listed from ${this.mdfClaimObject} cannot be read: ${issues}`);
    }
  }

  /** Every claim against this MDF request, oldest first, read leniently (listMdfClaimSummaries). */
  listMdfClaimsByMdfNumber(mdfNumber: string, options: CallOptions = {}): AsyncGenerator<PrmMdfClaimSummary, void, undefined> {
    return this.listMdfClaimSummaries({ ...options, filter: `MdfNumber eq ${prmString(mdfNumber)}` });
  }

  /**
   * Every claim whose title is this one as D15 compares titles (claimTitleKey: NFKC, case folded,
   * whitespace runs one space), oldest first, read leniently. No PRM filter can match that key (a `like`
   * pattern needs the same characters in the same number, which ß against SS, a decomposed accent or a
   * doubled space do not have), so the keys are kept in the store (claim-title-keys.ts): brought up to
   * date with the claims the PRM changed since the newest stamp kept, less an overlap
   * (TITLE_KEYS_OVERLAP_MS), then the claims with this key are read again by id and compared as the PRM
   * has them now (a claim renamed or deleted since is left out). PRM reads: one page per 100 claims
   * changed since the last check, and one per 100 claims with the key; every claim only on the first check
   * and after a change of claimTitleKey (CLAIM_TITLE_KEY_VERSION).
   */
  async findMdfClaimsByTitle(title: string, options: CallOptions = {}): Promise<PrmMdfClaimSummary[]> {
    const key = claimTitleKey(title);
    await this.#catchUpClaimTitleKeys(options);
    const ids = await this.#claimTitles.claimIdsWithTitleKey(key);
    const found: PrmMdfClaimSummary[] = [];
    for (let start = 0; start < ids.length; start += CLAIMS_BY_ID_PER_CALL) {
      const chunk = ids.slice(start, start + CLAIMS_BY_ID_PER_CALL);
      for await (const claim of this.listMdfClaimSummaries({ ...options, filter: `Id in (${chunk.map(recordId).join(',')})`, orderby: 'Id asc' })) {
        if (typeof claim.title === 'string' && claimTitleKey(claim.title) === key) found.push(claim);
      }
    }
    return found;
  }

  /**
   * Keeps the title key of every claim the PRM changed (or created) since the newest stamp kept, less
   * TITLE_KEYS_OVERLAP_MS: a claim stamped a little before a stamp already seen (a slow write in the
   * PRM, two in one second) is read again rather than missed. Only id, title and updated are needed, so
   * a claim with any other field in an odd form is kept too; one without an integer id names itself.
   *
   * The watermark is the newest stamp kept under this claimTitleKey version (CLAIM_TITLE_KEY_VERSION),
   * held back to the oldest key of another version, if any (not caught up: read and keyed again); with
   * no key of this version (a first check, or the version changed), every claim is read. The claims are
   * read in the order of their stamps (`orderby=Updated asc, Id asc`), a page at a time, each page kept
   * (one transaction) before the next is asked for: whatever pages are kept when a read fails, no claim
   * not kept has an older stamp than one kept, so the next check resumes from there and a failure never
   * moves the watermark past a claim not kept. The next page starts after the last claim read, by position (`Updated gt <its stamp>
   * or (Updated eq <its stamp> and Id gt <its id>)`), not by skip: a claim changed while the pages are
   * read moves to the end of the order and shifts no page. One page is held at a time, whatever the
   * number of claims.
   *
   * A claim without an Updated stamp (imported or migrated into the PRM) matches no `Updated ge` filter
   * and has no position among the stamps: every catch-up reads such claims too (`or Updated eq null`),
   * by their own position (`Updated eq null and Id gt <last such id>`), wherever the PRM orders them
   * (first, as SQL Server does, or last). Nothing tells when one changes, so they are read at each
   * check: a page per 100 of them, none for a PRM that stamps every claim. Their keys are kept with
   * stamp 0, so they never move the watermark. The filters and positions are prm-stamp-position.ts's,
   * which the worked-lead poll (D24, D25) shares.
   */
  async #catchUpClaimTitleKeys(options: CallOptions): Promise<void> {
    const startedAt = this.#now();
    const version = CLAIM_TITLE_KEY_VERSION;
    const { watermark, otherVersionRows } = await this.#claimTitles.claimTitleKeysProgress(version);
    const since = watermark === null ? null : prmStamp(Math.max(0, watermark - TITLE_KEYS_OVERLAP_MS));
    // A stamp far ahead of this clock (a PRM clock gone wrong) would hold the watermark there: kept as
    // an hour ahead at most, so such a claim is merely read again by each catch-up.
    const latest = this.#now() + 60 * 60_000;
    // Where the pages read so far end, among the stamped claims and among those without a stamp.
    let position = FIRST_PAGE;
    for (;;) {
      const res = await this.#http.request({
        method: 'GET',
        path: this.mdfClaimObject,
        query: { filter: stampPositionFilter(since, position), orderby: STAMP_ORDER, skip: 0, take: TITLE_KEYS_PAGE },
        expect: CLAIM_RECORDS_PAGE,
        ...options,
      });
      const { results, count } = res.body.data;
      const keys: ClaimTitleKey[] = [];
      const read: Array<{ id: number; updated: unknown }> = [];
      for (const record of results) {
        const parsed = CLAIM_TITLE_FIELDS.safeParse(record);
        if (!parsed.success) throw new Error(`prm: claim ${JSON.stringify(record.id ?? null)} listed from ${this.mdfClaimObject} has no integer id: its title cannot be kept for the duplicate-title check (D15)`);
        const { id, title, updated } = parsed.data;
        const stamp = (typeof updated === 'string' ? stampMillis(updated) : undefined) ?? 0;
        keys.push({ claimId: id, titleKey: typeof title === 'string' ? claimTitleKey(title) : '', prmUpdatedMs: Math.min(stamp, latest) });
        read.push({ id, updated });
      }
      if (keys.length > 0) await this.#claimTitles.saveClaimTitleKeys({ keys, version, now: this.#now() });
      // `count` is what matches from this position on: a page that holds it all is the last.
      if (results.length === 0 || results.length >= count) break;
      position = nextPosition(
        position,
        read,
        (last) => `prm: the claims listed from ${this.mdfClaimObject} after claim ${last.id} (${last.updated}) ended with it again: the PRM does not page by position, so the duplicate-title check (D15) cannot read its claims`,
      );
    }
    // Every page read: a key of another version this catch-up did not replace is a claim gone from the PRM.
    if (otherVersionRows) await this.#claimTitles.dropClaimTitleKeysOfOtherVersions({ version, seenBefore: startedAt });
  }

  /**
   * Sets a claim's Claim Approval Status (D18) and its reason. Idempotent, like the request's: the same
   * status twice has the effect of once. Without a reason the previous one is cleared.
   */
  async updateMdfClaimStatus(id: number, status: MdfClaimStatus, reason?: string | null, options: CallOptions = {}): Promise<PrmMdfClaim> {
    const checked = MdfClaimStatus.parse(status);
    return this.#setStatus(this.mdfClaimObject, CLAIM_ONE, id, { Status: checked, StatusReason: reason ?? null }, options);
  }

  /**
   * The partners whose CRM Partner ID (18 characters, compared as the PRM compares text) is this one: none,
   * one, or the first two by id when several accounts have it (a duplicate account: D20 cannot tell which
   * partner the lead is for). The first is read as a routing partner; a second only by its id and name,
   * so a duplicate account with fields the domain does not know still reads as a duplicate.
   */
  async findPartnersByCrmId(crmId: string, options: CallOptions = {}): Promise<{ partner: PrmRoutingPartner | null; others: Array<{ id: number; name: string | null }> }> {
    const res = await this.#http.request({ method: 'GET', path: this.partnerObject, query: { filter: `CrmId eq ${prmString(crmId)}`, orderby: 'Id asc', skip: 0, take: 2 }, expect: SAME_CRM_ID_PAGE, ...options });
    return res.body;
  }

  /** Partner-facing leads matching the filter (e.g. `updated > '2026-03-01 00:00:00'`), page by page as the caller iterates. */
  listPartnerLeads(options: PrmListOptions = {}): AsyncGenerator<PrmPartnerLead, void, undefined> {
    return this.#list(this.partnerLeadObject, LEAD_PAGE, options);
  }

  /** Creates a partner-facing lead (PascalCase fields). Not repeated on a doubt: a second create is a second lead. */
  async createPartnerLead(fields: Record<string, unknown>, options: CallOptions = {}): Promise<PrmPartnerLead> {
    const res = await this.#http.request({ method: 'PUT', path: this.partnerLeadObject, body: fields, expect: LEAD_ONE, ...options });
    return res.body.data;
  }

  /** Sets fields of a partner-facing lead (PascalCase); the same fields twice have the effect of once. */
  async updatePartnerLead(id: number, fields: Record<string, unknown>, options: CallOptions = {}): Promise<PrmPartnerLead> {
    const res = await this.#http.request({ method: 'PATCH', path: `${this.partnerLeadObject}/${recordId(id)}`, body: fields, idempotent: true, expect: LEAD_ONE, ...options });
    return res.body.data;
  }

  /** One record of this object by its id, unwrapped from the PRM's `{ data }` envelope. */
  async #getById<T>(object: string, envelope: z.ZodType<{ data: T }>, id: number, options: CallOptions): Promise<T> {
    const res = await this.#http.request({ method: 'GET', path: `${object}/${recordId(id)}`, expect: envelope, ...options });
    return res.body.data;
  }

  /** PATCHes a record's status fields; idempotent, since the same status twice has the effect of once. */
  async #setStatus<T>(
    object: string,
    envelope: z.ZodType<{ data: T }>,
    id: number,
    body: { Status: string; StatusReason: string | null },
    options: CallOptions,
  ): Promise<T> {
    const res = await this.#http.request({ method: 'PATCH', path: `${object}/${recordId(id)}`, body, idempotent: true, expect: envelope, ...options });
    return res.body.data;
  }

  #list<T>(
    object: string,
    page: z.ZodType<{ data: { count: number; results: T[] } }>,
    options: PrmListOptions,
  ): AsyncGenerator<T, void, undefined> {
    const { filter, orderby = 'Id asc', pageSize = 100, ...call } = options;
    return pagesBySkipTake(async (skip, take) => {
      const res = await this.#http.request({ method: 'GET', path: object, query: { filter, orderby, skip, take }, expect: page, ...call });
      return { items: res.body.data.results, total: res.body.data.count };
    }, { take: pageSize });
  }
}

/** A record id goes into the path: refuse anything but a positive integer rather than build a strange URL. */
function recordId(id: number): string {
  if (!Number.isInteger(id) || id <= 0) throw new RangeError(`a PRM record id is a positive integer, got ${String(id)}`);
  return String(id);
}

/** A PRM stamp in the form its filters take (`2026-03-02 09:00:00`, UTC without a zone; docs/systems.md). */
function prmStamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

