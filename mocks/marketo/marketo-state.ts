import { MARKETO_ACTIVITY_TYPES, MARKETO_LEAD_FIELDS, type MarketoLeadField } from '../../connectors/marketo/marketo-lead-fields.ts';
import type { MockClock } from '../clock.ts';

/** A lead as the simulated Marketo stores it: `id` and fields by API name. */
export type MockLead = { id: number; createdAt: string; updatedAt: string } & Record<string, unknown>;

/** A static list and its members. */
export interface MockList {
  id: number;
  name: string;
  members: Set<number>;
}

/**
 * A smart campaign that can be requested through the API. Its flow is reduced to what the rules need:
 * an Interesting Moment step whose description is a text with `{{my.…}}` tokens, filled from the
 * trigger's tokens (or the campaign's own defaults).
 */
export interface MockCampaign {
  id: number;
  name: string;
  /** Only a requestable campaign ("Campaign is Requested", source Web Service API) can be triggered. */
  requestable: boolean;
  /** The flow's Interesting Moment step, if it has one. */
  interestingMoment?: { type: string; description: string };
  /** The program's token values, used when the trigger does not send them. */
  tokens?: Record<string, string>;
}

/** An activity of a lead, as `GET /v1/activities.json` answers it. */
export interface MockActivity {
  id: number;
  marketoGUID: string;
  leadId: number;
  activityDate: string;
  activityTypeId: number;
  primaryAttributeValueId?: number | null;
  primaryAttributeValue?: string | null;
  attributes: Array<{ name: string; value: unknown }>;
}

/** Marketo writes times to the second, with a Z: `2026-04-20T09:00:00Z`. */
export function marketoTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The records of the simulated Marketo instance: leads, static lists, smart campaigns, activities. */
export class MarketoState {
  readonly #clock: MockClock;
  readonly fields: Map<string, MarketoLeadField>;
  #leads = new Map<number, MockLead>();
  /**
   * Lead ids by email in lower case, as Marketo matches email: a recall of 100,000 leads looks each up by
   * email, and a scan of every lead per lookup made that 10^10 comparisons.
   */
  #byEmail = new Map<string, Set<number>>();
  #lists = new Map<number, MockList>();
  #campaigns = new Map<number, MockCampaign>();
  #activities: MockActivity[] = [];
  #nextLeadId = 1001;
  #nextActivityId = 1;

  constructor(clock: MockClock, fields: readonly MarketoLeadField[] = MARKETO_LEAD_FIELDS) {
    this.#clock = clock;
    this.fields = new Map(fields.map((f) => [f.name.toLowerCase(), f]));
  }

  clear(): void {
    this.#leads.clear();
    this.#byEmail.clear();
    this.#lists.clear();
    this.#campaigns.clear();
    this.#activities = [];
    this.#nextLeadId = 1001;
    this.#nextActivityId = 1;
  }

  /** The field's API name as described, found in any case; undefined when the instance has no such field. */
  fieldName(name: string): string | undefined {
    return this.fields.get(name.toLowerCase())?.name;
  }

  leads(): MockLead[] {
    return [...this.#leads.values()].map((l) => ({ ...l }));
  }

  lead(id: number): MockLead | undefined {
    const lead = this.#leads.get(id);
    return lead ? { ...lead } : undefined;
  }

  /** The leads whose field equals the value (text compared without regard to case, as Marketo does for email). */
  findLeads(field: string, value: unknown): MockLead[] {
    const same = (a: unknown) => (typeof a === 'string' && typeof value === 'string' ? a.toLowerCase() === value.toLowerCase() : String(a) === String(value));
    // By the index when it can answer (a text email): the leads it names, still compared as below, in id order.
    const candidates = field === 'email' && typeof value === 'string' ? [...(this.#byEmail.get(value.toLowerCase()) ?? [])].sort((a, b) => a - b).map((id) => this.#leads.get(id)!) : this.#leads.values();
    return [...candidates].filter((l) => l[field] !== undefined && l[field] !== null && same(l[field]));
  }

  #index(lead: MockLead): void {
    if (typeof lead.email !== 'string') return;
    const key = lead.email.toLowerCase();
    let ids = this.#byEmail.get(key);
    if (!ids) this.#byEmail.set(key, (ids = new Set()));
    ids.add(lead.id);
  }

  #unindex(lead: MockLead): void {
    if (typeof lead.email !== 'string') return;
    const key = lead.email.toLowerCase();
    const ids = this.#byEmail.get(key);
    ids?.delete(lead.id);
    if (ids?.size === 0) this.#byEmail.delete(key);
  }

  /** Stores a new lead (an id assigned unless given) and its New Lead activity. */
  createLead(fields: Record<string, unknown>): MockLead {
    const now = marketoTime(this.#clock.now());
    const id = typeof fields.id === 'number' ? fields.id : this.#nextLeadId++;
    this.#nextLeadId = Math.max(this.#nextLeadId, id + 1);
    const lead: MockLead = { ...fields, id, createdAt: now, updatedAt: now };
    const replaced = this.#leads.get(id);
    if (replaced) this.#unindex(replaced);
    this.#leads.set(id, lead);
    this.#index(lead);
    this.addActivity({ leadId: id, activityTypeId: MARKETO_ACTIVITY_TYPES.newLead.id, primaryAttributeValue: String(fields.email ?? id) });
    return { ...lead };
  }

  /** Changes some fields of a lead; each changed field is a Change Data Value activity. */
  updateLead(id: number, set: Record<string, unknown>): MockLead | undefined {
    const lead = this.#leads.get(id);
    if (!lead) return undefined;
    for (const [field, value] of Object.entries(set)) {
      if (field === 'id' || lead[field] === value) continue;
      const old = lead[field];
      if (field === 'email') this.#unindex(lead);
      lead[field] = value;
      if (field === 'email') this.#index(lead);
      this.addActivity({
        leadId: id,
        activityTypeId: MARKETO_ACTIVITY_TYPES.changeDataValue.id,
        primaryAttributeValue: this.fields.get(field.toLowerCase())?.label ?? field,
        attributes: [
          { name: 'Old Value', value: old ?? null },
          { name: 'New Value', value },
        ],
      });
    }
    lead.updatedAt = marketoTime(this.#clock.now());
    return { ...lead };
  }

  /**
   * Merges leads into the winner, as Marketo's merge does (`POST /v1/leads/<id>/merge.json`, or ops in
   * its UI): the losing leads are deleted (their ids are gone: a read finds nothing, an update by id
   * answers 1004); a field empty on the winner takes the value of the first losing lead listed (Marketo's
   * rule), each such change a Change Data Value activity; the losers' list memberships and activities
   * become the winner's; a Merge Leads activity is recorded on the winner. Undefined when the winner or
   * a loser does not exist (nothing changes), or a loser is the winner.
   */
  mergeLeads(winnerId: number, loserIds: readonly number[]): MockLead | undefined {
    const winner = this.#leads.get(winnerId);
    const losers = loserIds.map((id) => this.#leads.get(id));
    if (!winner || loserIds.length === 0 || loserIds.includes(winnerId) || losers.some((l) => l === undefined)) return undefined;
    const first = losers[0]!;
    const filled: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(first)) {
      if (field === 'id' || field === 'createdAt' || field === 'updatedAt') continue;
      const own = winner[field];
      if ((own === undefined || own === null || own === '') && value !== undefined && value !== null && value !== '') filled[field] = value;
    }
    for (const loser of losers as MockLead[]) {
      this.#unindex(loser);
      this.#leads.delete(loser.id);
      for (const list of this.#lists.values()) if (list.members.delete(loser.id)) list.members.add(winnerId);
      for (const activity of this.#activities) if (activity.leadId === loser.id) activity.leadId = winnerId;
    }
    this.updateLead(winnerId, filled);
    this.addActivity({ leadId: winnerId, activityTypeId: MARKETO_ACTIVITY_TYPES.mergeLeads.id, primaryAttributeValue: String(winner.email ?? winnerId), attributes: [{ name: 'Merge IDs', value: loserIds.join(',') }] });
    return { ...this.#leads.get(winnerId)! };
  }

  addList(list: { id: number; name: string; members?: number[] }): MockList {
    const stored = { id: list.id, name: list.name, members: new Set(list.members ?? []) };
    this.#lists.set(list.id, stored);
    return stored;
  }

  list(id: number): MockList | undefined {
    return this.#lists.get(id);
  }

  lists(): Array<{ id: number; name: string; members: number[] }> {
    return [...this.#lists.values()].map((l) => ({ id: l.id, name: l.name, members: [...l.members].sort((a, b) => a - b) }));
  }

  addCampaign(campaign: MockCampaign): void {
    this.#campaigns.set(campaign.id, { ...campaign });
  }

  campaign(id: number): MockCampaign | undefined {
    return this.#campaigns.get(id);
  }

  /** Records an activity now (or at `activityDate`), kept in date order. */
  addActivity(activity: Omit<MockActivity, 'id' | 'marketoGUID' | 'activityDate' | 'attributes'> & { activityDate?: string; attributes?: MockActivity['attributes'] }): MockActivity {
    const id = this.#nextActivityId++;
    const stored: MockActivity = {
      id,
      marketoGUID: String(id),
      activityDate: activity.activityDate ?? marketoTime(this.#clock.now()),
      attributes: [],
      ...activity,
    } as MockActivity;
    // Kept in (date, id) order: a backdated activity (a test's) lands where its date puts it.
    let at = this.#activities.length;
    while (at > 0 && this.#activities[at - 1]!.activityDate > stored.activityDate) at--;
    this.#activities.splice(at, 0, stored);
    return { ...stored };
  }

  activities(): MockActivity[] {
    return this.#activities.map((a) => ({ ...a }));
  }
}
