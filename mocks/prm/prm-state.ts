import type { MdfClaim } from '../../schemas/domain/mdf-claim.ts';
import type { MdfRequest } from '../../schemas/domain/mdf-request.ts';
import type { Partner } from '../../schemas/domain/partner.ts';
import { isoNow, type MockClock } from '../clock.ts';
import { MDF_CLAIM_OBJECT, MDF_REQUEST_OBJECT, PARTNER_OBJECT, PRM_OBJECTS } from './prm-objects.ts';

/** A record as the PRM stores and returns it: camelCase keys, plain JSON values. */
export type PrmRecord = Record<string, unknown> & { id: number };

/**
 * The simulated PRM's records, one table per object, keyed by id. Every accessor hands out copies, so
 * a test that edits what it read does not change the PRM behind the connector's back.
 */
export class PrmState {
  readonly #clock: MockClock;
  readonly #tables = new Map<string, Map<number, PrmRecord>>();
  /** Each object's records in id order, kept until an insert or delete: a listing of 100,000 leads sorts them once, not per page. */
  readonly #ordered = new Map<string, PrmRecord[]>();
  #version = 0;

  constructor(clock: MockClock) {
    this.#clock = clock;
    this.clear();
  }

  /** Empties every object. */
  clear(): void {
    for (const name of Object.keys(PRM_OBJECTS)) this.#tables.set(name, new Map());
    this.#ordered.clear();
    this.#version += 1;
  }

  /** Changes with every write: what was read of the records before is still what they hold while it is the same. */
  get version(): number {
    return this.#version;
  }

  /** Every record of an object, in id order. */
  list(object: string): PrmRecord[] {
    return this.stored(object).map((r) => ({ ...r }));
  }

  /**
   * The stored records themselves, in id order, not copies: for the API's listings, which only read
   * them and answer JSON (a copy of each of 100,000 leads per page cost more than the page). Callers
   * must not change them.
   */
  stored(object: string): readonly PrmRecord[] {
    let ordered = this.#ordered.get(object);
    if (!ordered) this.#ordered.set(object, (ordered = [...this.#table(object).values()].sort((a, b) => a.id - b.id)));
    return ordered;
  }

  get(object: string, id: number): PrmRecord | undefined {
    const found = this.#table(object).get(id);
    return found ? { ...found } : undefined;
  }

  /**
   * Stores a new record: the next id (unless given), created and updated times from the clock, and
   * every known field present (null when not given), in the object's field order, as the PRM answers.
   * `updated: null` keeps the record without an Updated stamp, as a PRM may hold a record imported or
   * migrated into it (docs/systems.md): no API write can clear the stamp, and each write sets it.
   */
  insert(object: string, fields: Record<string, unknown>): PrmRecord {
    const table = this.#table(object);
    const now = isoNow(this.#clock);
    const id = typeof fields.id === 'number' ? fields.id : Math.max(0, ...table.keys()) + 1;
    const record: Record<string, unknown> = {};
    for (const field of PRM_OBJECTS[object]!.fields) record[field.key] = fields[field.key] ?? null;
    Object.assign(record, fields, { id, created: fields.created ?? now, updated: fields.updated === null ? null : (fields.updated ?? now) });
    // A replaced record is a new object: the id-ordered list must hold it, not the old one.
    if (table.has(id)) this.#ordered.delete(object);
    table.set(id, record as PrmRecord);
    this.#version += 1;
    // Ids mostly come in order: appending keeps the id-ordered list, anything else rebuilds it when next read.
    const ordered = this.#ordered.get(object);
    if (ordered) {
      if (ordered.length === table.size - 1 && (ordered.length === 0 || ordered[ordered.length - 1]!.id < id)) ordered.push(record as PrmRecord);
      else this.#ordered.delete(object);
    }
    return { ...(record as PrmRecord) };
  }

  /** Sets fields (response keys) and stamps updated with the clock; undefined when there is no such record. */
  update(object: string, id: number, set: Record<string, unknown>): PrmRecord | undefined {
    const record = this.#table(object).get(id);
    if (!record) return undefined;
    Object.assign(record, set, { id, updated: isoNow(this.#clock) });
    this.#version += 1;
    return { ...record };
  }

  delete(object: string, id: number): boolean {
    this.#ordered.delete(object);
    this.#version += 1;
    return this.#table(object).delete(id);
  }

  // The domain view used by tests, the harness and the seed.

  partners(): Partner[] {
    return this.list(PARTNER_OBJECT) as unknown as Partner[];
  }

  mdfRequests(): MdfRequest[] {
    return this.list(MDF_REQUEST_OBJECT) as unknown as MdfRequest[];
  }

  findMdfRequest(mdfNumber: string): MdfRequest | undefined {
    const found = this.#find(MDF_REQUEST_OBJECT, (r) => r.mdfNumber === mdfNumber);
    return found ? ({ ...found } as unknown as MdfRequest) : undefined;
  }

  /** What ops change in the portal (camelCase fields, not validated); bumps updated. */
  updateMdfRequest(mdfNumber: string, set: Record<string, unknown>): MdfRequest | undefined {
    const found = this.#find(MDF_REQUEST_OBJECT, (r) => r.mdfNumber === mdfNumber);
    return found ? (this.update(MDF_REQUEST_OBJECT, found.id, set) as unknown as MdfRequest) : undefined;
  }

  /**
   * Adds an MDF request, filling what a real one always has and the partial lacks: an MDF number, the
   * partner (the first one), the submitter (the partner's contact), status Open, the timestamps.
   */
  addMdfRequest(partial: Partial<MdfRequest> & Record<string, unknown> = {}): MdfRequest {
    const partners = this.#table(PARTNER_OBJECT);
    const partnerId = partial.partnerId ?? this.#find(PARTNER_OBJECT, () => true)?.id ?? 101;
    const partner = partners.get(partnerId);
    // The PRM refuses a second request with a used MDF number (DuplicateValue); a seed that gives one
    // twice would otherwise leave two records and a run that reads whichever comes first.
    if (partial.mdfNumber !== undefined && this.findMdfRequest(partial.mdfNumber)) {
      throw new Error(`MDF request ${partial.mdfNumber} is given twice: each MDF number names one request`);
    }
    const filled = {
      mdfNumber: partial.mdfNumber ?? this.#nextMdfNumber(),
      submittedByEmail: partner?.contactEmail ?? `marketing@partner-${partnerId}.example`,
      activityRegion: partner?.region ?? null,
      status: 'Open',
      ...stripUndefined(partial),
      partnerId,
    };
    return this.insert(MDF_REQUEST_OBJECT, filled) as unknown as MdfRequest;
  }

  /**
   * Adds an MDF claim as a partner submits it: status Open unless given, the timestamps (`updated: null`:
   * a claim imported without an Updated stamp). The PRM keeps no uniqueness of its own on titles (D15 is
   * Partnerflow's check), so a duplicate title is stored.
   */
  addMdfClaim(partial: Partial<MdfClaim> & Record<string, unknown> & { mdfNumber: string }): MdfClaim {
    // The PRM requires the MDF number (MdfNumber is a required field): a seed without one is refused, naming it.
    if (typeof partial.mdfNumber !== 'string' || partial.mdfNumber === '') throw new Error(`an MDF claim needs its mdfNumber (the request it claims against); got ${JSON.stringify(partial)}`);
    return this.insert(MDF_CLAIM_OBJECT, { status: 'Open', ...stripUndefined(partial) }) as unknown as MdfClaim;
  }

  mdfClaims(): MdfClaim[] {
    return this.list(MDF_CLAIM_OBJECT) as unknown as MdfClaim[];
  }

  /** The claims whose title is exactly this one (the harness and `/_mock` name claims by title), lowest id first. */
  findMdfClaimsByTitle(title: string): MdfClaim[] {
    return this.mdfClaims().filter((claim) => claim.title === title);
  }

  /** What ops change on a claim in the portal (camelCase fields, not validated); bumps updated. */
  updateMdfClaim(id: number, set: Record<string, unknown>): MdfClaim | undefined {
    return this.update(MDF_CLAIM_OBJECT, id, set) as unknown as MdfClaim | undefined;
  }

  /** What ops change on a partner account in the portal (camelCase fields, not validated); bumps updated. */
  updatePartner(id: number, set: Record<string, unknown>): Partner | undefined {
    return this.update(PARTNER_OBJECT, id, set) as unknown as Partner | undefined;
  }

  /** Ops delete a partner account: reads of it answer 404 from then on. False when there was none. */
  deletePartner(id: number): boolean {
    return this.delete(PARTNER_OBJECT, id);
  }

  /** Adds a partner account, filling a name, type, region and an 18-character CRM Partner ID when absent. */
  addPartner(partial: Partial<Partner> & Record<string, unknown> = {}): Partner {
    const id = partial.id ?? Math.max(100, ...this.#table(PARTNER_OBJECT).keys()) + 1;
    const filled = {
      name: `Partner ${id}`,
      type: 'Channel',
      marketingReady: false,
      crmId: `0015e00000PRTNR${String(id).padStart(3, '0').slice(-3)}`,
      contactEmail: null,
      region: 'AMER',
      ...stripUndefined(partial),
      id,
    };
    return this.insert(PARTNER_OBJECT, filled) as unknown as Partner;
  }

  #nextMdfNumber(): string {
    let highest = 1000;
    for (const record of this.#table(MDF_REQUEST_OBJECT).values()) {
      const number = Number(/^MDF-(\d+)$/.exec(String(record.mdfNumber))?.[1] ?? 0);
      if (number > highest) highest = number;
    }
    return `MDF-${highest + 1}`;
  }

  /**
   * The stored record itself, so that only the match is copied by the caller. Of several matches the
   * lowest id wins, as in list()'s id order: the table keeps insertion order, and a seed may give ids
   * out of order.
   */
  #find(object: string, test: (record: PrmRecord) => boolean): PrmRecord | undefined {
    let found: PrmRecord | undefined;
    for (const record of this.#table(object).values()) if ((!found || record.id < found.id) && test(record)) found = record;
    return found;
  }

  #table(object: string): Map<number, PrmRecord> {
    const table = this.#tables.get(object);
    if (!table) throw new RangeError(`the simulated PRM has no object ${object}`);
    return table;
  }
}

function stripUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}
