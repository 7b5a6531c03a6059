import type { MockClock } from '../clock.ts';
import { isSalesforceId, SalesforceIds } from './salesforce-ids.ts';
import { describedField, isCustomField, STANDARD_OBJECTS, undescribedObject, type SfObject } from './salesforce-objects.ts';
import { duplicateExternalId, externalIdFieldNotFound, NOT_FOUND } from './salesforce-responses.ts';
import { checkSObjectWrite, type SfErrorItem } from './salesforce-writes.ts';
import { keyOf } from './record-key.ts';
import { OPS_USER_ID } from './salesforce-sessions.ts';

/** A record as the org stores it: API-name keys, plain JSON values, `Id` first. */
export type SfRecord = Record<string, unknown> & { Id: string };

/**
 * An operation's result, or the HTTP status and error array Salesforce would answer. A 300 also names
 * the records that share the external ID value: a single-record call answers their URLs instead.
 */
export type SfOutcome<T> = { ok: true; value: T } | { ok: false; status: number; errors: SfErrorItem[]; ids?: string[] };

/**
 * Salesforce's dateTime format: `2026-04-20T09:00:00.000+0000`. The org stamps whole seconds (the
 * milliseconds are always .000), so two changes in one second share a LastModifiedDate, as they do there.
 */
function sfDateTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('Z', '+0000');
}

/**
 * The simulated org's records, per sObject in insertion order, with the operations of the REST API:
 * create, update, delete and upsert by external ID, each validated like the org validates them.
 */
export class SalesforceState {
  readonly #clock: MockClock;
  readonly #ids = new SalesforceIds();
  #objects = new Map<string, SfObject>();
  #records = new Map<string, Map<string, SfRecord>>();

  constructor(clock: MockClock) {
    this.#clock = clock;
    this.clear();
  }

  /** Empties the org: no records, the standard objects only, Ids counted from the start again. */
  clear(): void {
    this.#objects = new Map(STANDARD_OBJECTS);
    this.#records = new Map([...STANDARD_OBJECTS.keys()].map((name) => [name, new Map()]));
    this.#ids.reset();
  }

  /** The object with this API name, read in any case as Salesforce does. */
  object(name: string): SfObject | undefined {
    const lower = name.toLowerCase();
    for (const object of this.#objects.values()) if (object.name.toLowerCase() === lower) return object;
    return undefined;
  }

  objects(): SfObject[] {
    return [...this.#objects.values()];
  }

  /** Every record of an object, oldest first (copies); none for an unknown object. */
  records(name: string): SfRecord[] {
    const object = this.object(name);
    return object ? [...this.#table(object).values()].map((r) => ({ ...r })) : [];
  }

  /**
   * The stored records themselves, oldest first, for a reader that builds its own answer from them
   * (SOQL) and so needs no copy of each; none for an unknown object.
   */
  scan(name: string): Iterable<Readonly<SfRecord>> {
    const object = this.object(name);
    return object ? this.#table(object).values() : [];
  }

  get(name: string, id: string): SfRecord | undefined {
    const object = this.object(name);
    const found = object && isSalesforceId(id) ? this.#table(object).get(id.slice(0, 15)) : undefined;
    return found ? { ...found } : undefined;
  }

  exists(name: string, id: string): boolean {
    const object = this.object(name);
    return object !== undefined && isSalesforceId(id) && this.#table(object).has(id.slice(0, 15));
  }

  /**
   * Stores a record without the API's checks (seeds and tests): an Id unless given, defaults, audit
   * fields (made by `by`, a person in ops unless the seed names its user). An object it does not know
   * yet is added, taking any field.
   */
  insert(name: string, fields: Record<string, unknown>, by: string = OPS_USER_ID): SfRecord {
    const object = this.object(name) ?? this.#addObject(name);
    const now = sfDateTime(this.#clock.now());
    const id = isSalesforceId(fields.Id) ? fields.Id : this.#ids.next(object.keyPrefix);
    const defaults = Object.fromEntries((object.fields ?? []).filter((f) => f.defaultValue !== undefined).map((f) => [f.name, f.defaultValue]));
    const { attributes: _type, ...rest } = fields;
    // A seed may date its records; otherwise they are created now.
    const stamps = {
      CreatedDate: rest.CreatedDate ?? now,
      LastModifiedDate: rest.LastModifiedDate ?? now,
      SystemModstamp: rest.SystemModstamp ?? rest.LastModifiedDate ?? now,
      CreatedById: rest.CreatedById ?? by,
      LastModifiedById: rest.LastModifiedById ?? rest.CreatedById ?? by,
    };
    const record: SfRecord = { Id: id, ...defaults, ...rest, ...stamps } as SfRecord;
    record.Id = id;
    this.#table(object).set(id.slice(0, 15), record);
    return { ...record };
  }

  /** `POST /sobjects/<Obj>`: a checked create, made by user `by` (the API's: the integration user). */
  create(name: string, body: Record<string, unknown>, by: string = OPS_USER_ID): SfOutcome<{ id: string }> {
    const object = this.object(name);
    if (!object) return { ok: false, status: 404, errors: [NOT_FOUND] };
    const checked = checkSObjectWrite(object, body, 'create', (o, id) => this.exists(o, id));
    if (!checked.ok) return { ok: false, status: 400, errors: checked.errors };
    return { ok: true, value: { id: this.insert(object.name, checked.set, by).Id } };
  }

  /**
   * `PATCH /sobjects/<Obj>/<id>`: a checked update of some fields, made by user `by`: the API's calls
   * pass the integration user; without one it is a person in ops editing in the UI (`change_salesforce`).
   */
  update(name: string, id: string, body: Record<string, unknown>, by: string = OPS_USER_ID): SfOutcome<{ id: string }> {
    const object = this.object(name);
    const record = object && isSalesforceId(id) ? this.#table(object).get(id.slice(0, 15)) : undefined;
    if (!object || !record) return { ok: false, status: 404, errors: [NOT_FOUND] };
    const checked = checkSObjectWrite(object, body, 'update', (o, ref) => this.exists(o, ref), Object.keys(record));
    if (!checked.ok) return { ok: false, status: 400, errors: checked.errors };
    const now = sfDateTime(this.#clock.now());
    Object.assign(record, checked.set, { LastModifiedDate: now, SystemModstamp: now, LastModifiedById: by });
    return { ok: true, value: { id: record.Id } };
  }

  delete(name: string, id: string): boolean {
    const object = this.object(name);
    return object !== undefined && isSalesforceId(id) && this.#table(object).delete(id.slice(0, 15));
  }

  /**
   * The field an upsert or lookup by external ID may use: `Id`, a field described as an external ID,
   * or a custom field (the org decides which custom fields are external IDs; the mock cannot know).
   */
  externalIdField(object: SfObject, name: string): string | undefined {
    if (name.toLowerCase() === 'id') return 'Id';
    const described = describedField(object, name);
    if (described) return described.externalId ? described.name : undefined;
    return isCustomField(name) ? name : undefined;
  }

  /** Records whose external ID equals the value (copies); matching ignores case, like a non-case-sensitive external ID. */
  findByExternalId(object: SfObject, field: string, value: string): SfRecord[] {
    return this.#matchExternalId(object, field, value).map((r) => ({ ...r }));
  }

  /**
   * `PATCH /sobjects/<Obj>/<ExtIdField>/<value>`: creates the record when no record has the value,
   * updates it when one has, and answers 300 with their URLs when several have. The external ID (and Id)
   * may not be in the body as well: the org refuses that.
   */
  upsert(name: string, fieldName: string, value: string, body: Record<string, unknown>, by: string = OPS_USER_ID): SfOutcome<{ id: string; created: boolean }> {
    const object = this.object(name);
    if (!object) return { ok: false, status: 404, errors: [NOT_FOUND] };
    const field = this.externalIdField(object, fieldName);
    if (!field) return { ok: false, status: 404, errors: [externalIdFieldNotFound(fieldName)] };
    const repeated = Object.keys(body).find((k) => k.toLowerCase() === field.toLowerCase() || k.toLowerCase() === 'id');
    if (repeated) {
      return {
        ok: false,
        status: 400,
        errors: [{ errorCode: 'INVALID_FIELD', message: `The field ${repeated} is given in the URL; it may not also be in the request body`, fields: [repeated] }],
      };
    }
    const matches = this.#matchExternalId(object, field, value);
    if (matches.length > 1) {
      const ids = matches.map((r) => r.Id);
      return { ok: false, status: 300, errors: [duplicateExternalId(field, ids)], ids };
    }
    if (matches.length === 1) {
      const updated = this.update(object.name, matches[0]!.Id, body, by);
      return updated.ok ? { ok: true, value: { id: updated.value.id, created: false } } : updated;
    }
    if (field === 'Id') return { ok: false, status: 404, errors: [NOT_FOUND] };
    const created = this.create(object.name, { ...body, [field]: value }, by);
    return created.ok ? { ok: true, value: { id: created.value.id, created: true } } : created;
  }

  /**
   * Remembers every record as it is now and returns a function that puts them back: an all-or-none
   * collection call that fails part-way leaves nothing written.
   */
  checkpoint(): () => void {
    const objects = new Map(this.#objects);
    const saved = new Map([...this.#records].map(([name, table]) => [name, new Map([...table].map(([id, r]) => [id, { ...r }]))]));
    return () => {
      this.#objects = objects;
      this.#records = saved;
    };
  }

  /** The stored records (not copies) whose external ID equals the value, oldest first. */
  #matchExternalId(object: SfObject, field: string, value: string): SfRecord[] {
    const table = this.#table(object);
    if (field === 'Id') {
      // Tables are keyed by the 15-character form (case-sensitive), so the 15- and 18-character Ids of a
      // record both find it.
      const found = isSalesforceId(value) ? table.get(value.slice(0, 15)) : undefined;
      return found ? [found] : [];
    }
    const lower = value.toLowerCase();
    const matches: SfRecord[] = [];
    for (const record of table.values()) {
      const key = keyOf(record, field);
      const v = key === undefined ? undefined : record[key];
      if (v !== null && v !== undefined && String(v).toLowerCase() === lower) matches.push(record);
    }
    return matches;
  }

  #addObject(name: string): SfObject {
    const object = undescribedObject(name, this.#objects.size);
    this.#objects.set(name, object);
    this.#records.set(name, new Map());
    return object;
  }

  #table(object: SfObject): Map<string, SfRecord> {
    let table = this.#records.get(object.name);
    if (!table) {
      table = new Map();
      this.#records.set(object.name, table);
    }
    return table;
  }
}
