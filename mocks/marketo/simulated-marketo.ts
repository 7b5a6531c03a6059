import type { RequestHandler } from 'msw';
import type { MarketoLeadField } from '../../connectors/marketo/marketo-lead-fields.ts';
import type { MockClock } from '../clock.ts';
import type { FaultInjector } from '../faults.ts';
import { marketoHandlers } from './marketo-handlers.ts';
import { MarketoIdentity } from './marketo-identity.ts';
import { seedMarketo } from './marketo-seed.ts';
import { MarketoState, type MockActivity, type MockCampaign, type MockLead } from './marketo-state.ts';
import { MarketoUsage, type MarketoMockLimits, type MarketoUsageReport } from './marketo-usage.ts';

/** What tests and the harness reach of the simulated Marketo (`systems.marketo`). */
export interface SimulatedMarketo {
  /** Every lead, by id. */
  leads(): MockLead[];
  lead(id: number): MockLead | undefined;
  /** Leads whose field (API name) has this value; text without regard to case. */
  findLeads(field: string, value: unknown): MockLead[];
  /** Stores a lead without the API's checks (and its New Lead activity). */
  addLead(fields: Record<string, unknown>): MockLead;
  /** What someone changes in Marketo's UI: some fields, each a Change Data Value activity. */
  updateLead(id: number, set: Record<string, unknown>): MockLead | undefined;
  /**
   * What ops do when they merge duplicates (in Marketo's UI, or `POST /v1/leads/<id>/merge.json`): the
   * losing leads are deleted and their ids gone; the winner keeps its values, fills its empty fields
   * from the first loser, and takes the losers' lists and activities. Undefined when a lead is unknown.
   */
  mergeLeads(winnerId: number, loserIds: readonly number[]): MockLead | undefined;
  lists(): Array<{ id: number; name: string; members: number[] }>;
  addList(list: { id: number; name: string; members?: number[] }): void;
  addCampaign(campaign: MockCampaign): void;
  /** Every activity, oldest first. */
  activities(): MockActivity[];
  /** Records an activity (a click, a form fill…), now or at `activityDate`. */
  addActivity(activity: Parameters<MarketoState['addActivity']>[0]): MockActivity;
  /** The lead fields the instance describes. */
  fields(): MarketoLeadField[];
  /** The limits it enforces: change them for a test (a small daily quota); `reset()` restores them. */
  limits: MarketoMockLimits;
  /** Calls counted today, the most in flight at once, refusals by code. */
  usage(): MarketoUsageReport;
  /**
   * How long answering a call takes (a promise per call); by default one event-loop turn, so calls
   * sent together overlap. `null` restores the default.
   */
  setLatency(latency: (() => Promise<void>) | null): void;
}

const oneTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Builds the simulated Marketo instance: its handlers, seeding and reset, and the test-facing API. */
export function createMarketoInstance(options: { clock: MockClock; faults: FaultInjector }) {
  const state = new MarketoState(options.clock);
  const usage = new MarketoUsage(options.clock);
  const identity = new MarketoIdentity(options.clock, () => usage.limits.tokenLifetimeSeconds);
  const instance = { state, identity, usage, faults: options.faults, latency: oneTurn };
  const api: SimulatedMarketo = {
    leads: () => state.leads(),
    lead: (id) => state.lead(id),
    findLeads: (field, value) => state.findLeads(field, value).map((l) => ({ ...l })),
    addLead: (fields) => state.createLead(fields),
    updateLead: (id, set) => state.updateLead(id, set),
    mergeLeads: (winnerId, loserIds) => state.mergeLeads(winnerId, loserIds),
    lists: () => state.lists(),
    addList: (list) => void state.addList(list),
    addCampaign: (campaign) => state.addCampaign(campaign),
    activities: () => state.activities(),
    addActivity: (activity) => state.addActivity(activity),
    fields: () => [...state.fields.values()],
    limits: usage.limits,
    usage: () => usage.report(),
    setLatency: (latency) => {
      instance.latency = latency ?? oneTurn;
    },
  };
  return {
    handlers: marketoHandlers(instance) as RequestHandler[],
    api,
    seed: (leads?: ReadonlyArray<Record<string, unknown>>) => seedMarketo(state, leads),
    reset: () => {
      state.clear();
      usage.reset();
      identity.clear();
      instance.latency = oneTurn;
    },
  };
}
