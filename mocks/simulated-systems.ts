import { http, passthrough, type RequestHandler } from 'msw';
import { setupServer } from 'msw/node';
import type { z } from 'zod';
import type { MdfClaim } from '../schemas/domain/mdf-claim.ts';
import type { MdfRequest } from '../schemas/domain/mdf-request.ts';
import type { Partner } from '../schemas/domain/partner.ts';
import type { ScenarioSeed } from '../schemas/scenario.ts';
import type { MockClock } from './clock.ts';
import { emailHandlers } from './email/email-handlers.ts';
import { Mailbox, type EmailMessage } from './email/mailbox.ts';
import { FaultInjector, type FaultSpec } from './faults.ts';
import { createMarketoInstance, type SimulatedMarketo } from './marketo/simulated-marketo.ts';
import { prmHandlers } from './prm/prm-handlers.ts';
import { DEMO_MDF_REQUESTS, DEMO_PARTNERS } from './prm/prm-seed.ts';
import { PrmState } from './prm/prm-state.ts';
import { PARTNER_LEAD_OBJECT } from './prm/prm-objects.ts';
import { QueryCursors } from './salesforce/query-cursors.ts';
import { salesforceHandlers } from './salesforce/salesforce-handlers.ts';
import { partnerAccounts } from './salesforce/salesforce-seed.ts';
import { SalesforceSessions } from './salesforce/salesforce-sessions.ts';
import { SalesforceState } from './salesforce/salesforce-state.ts';

// The module callers import: URLs, credentials and the types they need come from here too.
export { SIMULATED_CREDENTIALS, SIMULATED_URLS } from './simulated-urls.ts';
export type { EmailMessage } from './email/mailbox.ts';
export type { FaultKind, FaultSpec, SimulatedSystemName } from './faults.ts';

/** What the simulated systems start with: a scenario's `seed`, minus tables and calendar. */
export type SimulatedSeed = Pick<z.input<typeof ScenarioSeed>, 'prm' | 'salesforce' | 'marketo'>;

/**
 * The PRM, the Salesforce org and the email provider, simulated in memory behind MSW handlers
 * (mocks/README.md). Tests, the scenario harness and `serve --mock` build one, seed it, and read or
 * change its records directly.
 */
export interface SimulatedSystems {
  /** MSW handlers for every simulated host; also usable with msw's `getResponse(handlers, request)`. */
  handlers: RequestHandler[];
  /**
   * Replaces the PRM's and the org's records: the demo data, with each collection given here replacing
   * its demo counterpart. The org's partner Accounts follow the PRM's partners unless `salesforce.Account`
   * is given. The mailbox is left alone.
   */
  seed(data?: SimulatedSeed): void;
  /** Empties every system: records, mailbox, sessions, query cursors, API usage, pending faults. */
  reset(): void;
  /** Every system's records, for `GET /_mock/records`. */
  snapshot(): {
    prm: { partners: Partner[]; mdf_requests: MdfRequest[]; mdf_claims: MdfClaim[]; leads: Array<Record<string, unknown>> };
    marketo: { leads: Array<Record<string, unknown>>; activities: Array<Record<string, unknown>> };
    salesforce: Record<string, Array<Record<string, unknown>>>;
    email: { messages: EmailMessage[] };
  };
  faults: {
    /** The next matching request(s) fail this way (mocks/README.md, "Faults"). */
    inject(fault: FaultSpec): void;
    clear(): void;
  };
  prm: {
    partners(): Partner[];
    mdfRequests(): MdfRequest[];
    findMdfRequest(mdfNumber: string): MdfRequest | undefined;
    /** What ops change in the portal: camelCase fields, not validated; updated becomes the clock's now. */
    updateMdfRequest(mdfNumber: string, set: Record<string, unknown>): MdfRequest | undefined;
    /** Adds a request, filling id, MDF number, submitter, status and timestamps when the partial lacks them. */
    addMdfRequest(partial?: Partial<MdfRequest> & Record<string, unknown>): MdfRequest;
    /** Adds a partner account, filling what the partial lacks. */
    addPartner(partial?: Partial<Partner> & Record<string, unknown>): Partner;
    /** What ops change on a partner account in the portal (its contact email, say): camelCase, not validated; updated becomes now. */
    updatePartner(id: number, set: Record<string, unknown>): Partner | undefined;
    /** Ops delete a partner account: reads of it answer 404 from then on. False when there was none. */
    deletePartner(id: number): boolean;
    mdfClaims(): MdfClaim[];
    /** The partner-facing leads (D20), in id order. */
    leads(): Array<Record<string, unknown>>;
    /** Adds a partner-facing lead as the PRM stores it (camelCase; created and updated default to now; `updated: null`: imported without a stamp; an existing id replaces that lead). */
    addLead(fields: Record<string, unknown>): Record<string, unknown>;
    /** What a partner changes on a lead in the portal (camelCase, not validated); updated becomes now (D25: activity). */
    updateLead(id: number, set: Record<string, unknown>): Record<string, unknown> | undefined;
    /** The claims with exactly this title, lowest id first. */
    findMdfClaimsByTitle(title: string): MdfClaim[];
    /** Adds a claim as a partner submits it (status Open unless given); the PRM keeps duplicate titles (D15). */
    addMdfClaim(partial: Partial<MdfClaim> & Record<string, unknown> & { mdfNumber: string }): MdfClaim;
    /** What ops change on a claim in the portal: camelCase fields, not validated; updated becomes now. */
    updateMdfClaim(id: number, set: Record<string, unknown>): MdfClaim | undefined;
  };
  salesforce: {
    /** The records of an sObject, oldest first (none for an object the org does not have). */
    records(object: string): Array<Record<string, unknown>>;
    /** The sObjects the org has, by API name. */
    objects(): string[];
    /** Stores a record without the API's checks; assigns an 18-character Id unless given one. */
    insert(object: string, fields: Record<string, unknown>): Record<string, unknown>;
    /**
     * What ops change in Salesforce: some fields of one record, checked as the org checks an update (an
     * unknown field or picklist value is refused, in the org's words); LastModifiedDate becomes now.
     */
    update(object: string, id: string, set: Record<string, unknown>): { ok: true } | { ok: false; errors: string[] };
  };
  email: {
    /** Every accepted message, oldest first. */
    messages(): EmailMessage[];
  };
  /** The simulated Marketo instance: leads, lists, campaigns, activities, its limits and what it counted (mocks/marketo/README.md). */
  marketo: SimulatedMarketo;
}

/** Builds the simulated systems, empty, stamping records and messages with the given clock. */
export function createSimulatedSystems(options: { clock: MockClock }): SimulatedSystems {
  const { clock } = options;
  const faults = new FaultInjector(() => clock.now());
  const prm = new PrmState(clock);
  const mailbox = new Mailbox(clock);
  const org = { state: new SalesforceState(clock), sessions: new SalesforceSessions(), cursors: new QueryCursors(), usage: { used: 0 }, faults, clock };
  const marketo = createMarketoInstance({ clock, faults });

  const seedPrm = (data: SimulatedSeed['prm']) => {
    prm.clear();
    for (const partner of data?.partners ?? DEMO_PARTNERS) prm.addPartner(partner as Partial<Partner>);
    for (const request of data?.mdf_requests ?? DEMO_MDF_REQUESTS) prm.addMdfRequest(request as Partial<MdfRequest>);
    // The demo has no claims: a walkthrough submits them.
    for (const claim of data?.mdf_claims ?? []) prm.addMdfClaim(claim as Partial<MdfClaim> & { mdfNumber: string });
    for (const lead of data?.leads ?? []) prm.insert(PARTNER_LEAD_OBJECT, lead as Record<string, unknown>);
  };
  const seedSalesforce = (data: SimulatedSeed['salesforce']) => {
    org.state.clear();
    org.cursors.clear();
    const collections: Record<string, Array<Record<string, unknown>>> = { Account: partnerAccounts(prm.partners()), ...data };
    for (const [object, records] of Object.entries(collections)) for (const record of records) org.state.insert(object, record);
  };

  return {
    handlers: [...prmHandlers({ state: prm, faults }), ...salesforceHandlers(org), ...emailHandlers({ mailbox, faults }), ...marketo.handlers],
    seed(data = {}) {
      seedPrm(data.prm);
      seedSalesforce(data.salesforce);
      marketo.seed(data.marketo?.leads as Array<Record<string, unknown>> | undefined);
    },
    reset() {
      prm.clear();
      org.state.clear();
      org.cursors.clear();
      org.sessions.revokeAll();
      org.usage.used = 0;
      mailbox.clear();
      faults.clear();
      marketo.reset();
    },
    snapshot() {
      const salesforce: Record<string, Array<Record<string, unknown>>> = {};
      for (const object of org.state.objects()) salesforce[object.name] = org.state.records(object.name);
      return {
        prm: { partners: prm.partners(), mdf_requests: prm.mdfRequests(), mdf_claims: prm.mdfClaims(), leads: prm.list(PARTNER_LEAD_OBJECT) },
        marketo: { leads: marketo.api.leads(), activities: marketo.api.activities() as unknown as Array<Record<string, unknown>> },
        salesforce,
        email: { messages: mailbox.messages() },
      };
    },
    faults: {
      inject: (fault) => faults.inject(fault),
      clear: () => faults.clear(),
    },
    prm: {
      partners: () => prm.partners(),
      mdfRequests: () => prm.mdfRequests(),
      findMdfRequest: (mdfNumber) => prm.findMdfRequest(mdfNumber),
      updateMdfRequest: (mdfNumber, set) => prm.updateMdfRequest(mdfNumber, set),
      addMdfRequest: (partial) => prm.addMdfRequest(partial),
      addPartner: (partial) => prm.addPartner(partial),
      mdfClaims: () => prm.mdfClaims(),
      leads: () => prm.list(PARTNER_LEAD_OBJECT),
      addLead: (fields) => prm.insert(PARTNER_LEAD_OBJECT, fields),
      updateLead: (id, set) => prm.update(PARTNER_LEAD_OBJECT, id, set),
      findMdfClaimsByTitle: (title) => prm.findMdfClaimsByTitle(title),
      addMdfClaim: (partial) => prm.addMdfClaim(partial),
      updateMdfClaim: (id, set) => prm.updateMdfClaim(id, set),
      updatePartner: (id, set) => prm.updatePartner(id, set),
      deletePartner: (id) => prm.deletePartner(id),
    },
    salesforce: {
      records: (object) => org.state.records(object),
      objects: () => org.state.objects().map((o) => o.name),
      insert: (object, fields) => org.state.insert(object, fields),
      update: (object, id, set) => {
        const outcome = org.state.update(object, id, set);
        return outcome.ok ? { ok: true } : { ok: false, errors: outcome.errors.map((e) => `${e.errorCode}: ${e.message}`) };
      },
    },
    email: {
      messages: () => mailbox.messages(),
    },
    marketo: marketo.api,
  };
}

/**
 * Puts the simulated systems on the network of this process: MSW intercepts the global `fetch` (also
 * with an undici dispatcher) until `close()`. A request to a host no handler knows fails with MSW's
 * "Cannot bypass" error, except loopback ones, which a handler passes through: those are the process
 * talking to its own HTTP server or to a local test server, never an escape to a real system. (An
 * `onUnhandledRequest` function that calls `print.error()` only logs, and lets the request out.)
 */
export function startSimulatedSystems(systems: SimulatedSystems): { close(): void } {
  const server = setupServer(...systems.handlers, http.all(LOOPBACK, () => passthrough()));
  server.listen({ onUnhandledRequest: 'error' });
  return { close: () => server.close() };
}

const LOOPBACK = /^https?:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?\//;
