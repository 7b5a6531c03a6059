import { createServer, type IncomingMessage, type Server } from 'node:http';
import { getResponse } from 'msw';
import { SIMULATED_CREDENTIALS, SIMULATED_URLS, type SimulatedSystems } from '../../mocks/simulated-systems.ts';

/**
 * Serves the simulated systems on a real loopback port, for a runtime in another process (the crash
 * tests, and the benchmark's `mdf` round): MSW only intercepts in its own process. Path prefixes map to the simulated hosts, and
 * Salesforce's token answer points its instance URL back at this server.
 */
export interface SimulatedSystemsServer {
  baseUrl: string;
  /** Connector environment variables that point a runtime at this server. */
  env: Record<string, string>;
  /** While set, Salesforce requests are held without an answer (a call in flight when a process dies). */
  holdSalesforce: boolean;
  /** While set, email sends (`POST /email`, not the search) are held without an answer; unset, they go on. */
  holdEmailSends: boolean;
  /** While set, only the email sends addressed to this recipient are held (the approval email, not the receipt). */
  holdEmailSendsTo: string | null;
  /** Ends the held email sends without an answer and without passing them on: they never reached the provider. */
  dropHeldEmailSends(): void;
  /** Every request that reached the server so far, in order (held ones included): which system, method and path. */
  readonly arrivals: ReadonlyArray<{ system: string; method: string; path: string }>;
  close(): Promise<void>;
}

/** One request that reached the server, as a watcher sees it. */
export interface ArrivedRequest {
  /** Which system it is for: `prm`, `sf-login`, `sf-org` or `email`. */
  system: string;
  method: string;
  /** Its path at the simulated host, e.g. `/email` for an email send. */
  path: string;
  /** When it arrived (`performance.now()`), taken before its body was read, so a slow body does not count. */
  arrivedAt: number;
  /** Its headers as they arrived (the leads benchmark reads the runtime's virtual time from one). */
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** What a caller may watch of the traffic. */
export interface SimulatedSystemsServerOptions {
  /** Called for each request to a simulated system as it arrives: the benchmark times each run's first email from here. */
  onRequest?: (request: ArrivedRequest) => void;
}

export async function serveSimulatedSystems(systems: SimulatedSystems, options: SimulatedSystemsServerOptions = {}): Promise<SimulatedSystemsServer> {
  const prefixes: Record<string, string> = {
    '/prm': new URL(SIMULATED_URLS.prm).origin,
    '/sf-login': new URL(SIMULATED_URLS.salesforceLogin).origin,
    '/sf-org': new URL(SIMULATED_URLS.salesforceInstance).origin,
    '/email': new URL(SIMULATED_URLS.email).origin,
    '/marketo': new URL(SIMULATED_URLS.marketo).origin,
  };
  const held: Array<() => void> = [];
  const arrivals: Array<{ system: string; method: string; path: string }> = [];
  const heldEmail: Array<(forward: boolean) => void> = [];
  let baseUrl = '';
  const holdsEmail = (body: Buffer): boolean => {
    if (state.holdEmailSends) return true;
    if (state.holdEmailSendsTo === null) return false;
    const to = (JSON.parse(body.toString('utf8')) as { To?: string }).To ?? '';
    return to.toLowerCase().includes(state.holdEmailSendsTo.toLowerCase());
  };
  const state = {
    holdSalesforce: false,
    holdEmailSends: false,
    holdEmailSendsTo: null as string | null,
  };

  const server: Server = createServer(async (req, res) => {
    const arrivedAt = performance.now();
    const prefix = Object.keys(prefixes).find((p) => req.url!.startsWith(`${p}/`));
    if (!prefix) {
      res.writeHead(404).end();
      return;
    }
    const target = prefixes[prefix] + req.url!.slice(prefix.length);
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      // The caller went away (the crash test kills the runtime while its request is held): nobody to answer.
      res.destroy();
      return;
    }
    arrivals.push({ system: prefix.slice(1), method: req.method!, path: new URL(target).pathname });
    options.onRequest?.({ system: prefix.slice(1), method: req.method!, path: new URL(target).pathname, arrivedAt, headers: req.headers, body });
    if (prefix.startsWith('/sf-') && state.holdSalesforce) await new Promise<void>((resolve) => held.push(resolve));
    if (prefix === '/email' && req.method === 'POST' && holdsEmail(body) && !(await new Promise<boolean>((resolve) => heldEmail.push(resolve)))) {
      res.destroy();
      return;
    }
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host') headers.set(k, v);
    const request = new Request(target, { method: req.method, headers, body: body.length ? body : undefined });
    const response = await getResponse(systems.handlers, request);
    if (!response) {
      res.writeHead(404).end();
      return;
    }
    let text = await response.text();
    if (prefix === '/sf-login') text = text.replaceAll(new URL(SIMULATED_URLS.salesforceInstance).origin, `${baseUrl}/sf-org`);
    const out: Record<string, string> = {};
    response.headers.forEach((v, k) => {
      if (k !== 'content-length' && k !== 'content-encoding') out[k] = v;
    });
    res.writeHead(response.status, out).end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  return {
    baseUrl,
    env: {
      PRM_BASE_URL: `${baseUrl}/prm${new URL(SIMULATED_URLS.prm).pathname}`,
      PRM_API_KEY: SIMULATED_CREDENTIALS.prm.apiKey,
      PRM_TENANT_ID: SIMULATED_CREDENTIALS.prm.tenantId,
      PRM_CLAIM_PORTAL_URL: 'https://partners.partnerflow.test/mdf/claims/{id}',
      SALESFORCE_LOGIN_URL: `${baseUrl}/sf-login`,
      SALESFORCE_CLIENT_ID: SIMULATED_CREDENTIALS.salesforce.clientId,
      SALESFORCE_CLIENT_SECRET: SIMULATED_CREDENTIALS.salesforce.clientSecret,
      EMAIL_API_URL: `${baseUrl}/email`,
      EMAIL_SERVER_TOKEN: SIMULATED_CREDENTIALS.email.serverToken,
      // Not mock mode's sender: its .example domain (documentation's, as .env.example's examples) is refused outside mock mode.
      EMAIL_FROM: 'Partner Marketing <mdf@partnerflow.test>',
      // The shipped lead recipes use Marketo (D20-D22): a runtime on the shipped recipes needs it configured.
      MARKETO_BASE_URL: `${baseUrl}/marketo`,
      MARKETO_CLIENT_ID: SIMULATED_CREDENTIALS.marketo.clientId,
      MARKETO_CLIENT_SECRET: SIMULATED_CREDENTIALS.marketo.clientSecret,
    },
    get holdSalesforce() {
      return state.holdSalesforce;
    },
    set holdSalesforce(value: boolean) {
      state.holdSalesforce = value;
      if (!value) for (const release of held.splice(0)) release();
    },
    get holdEmailSends() {
      return state.holdEmailSends;
    },
    set holdEmailSends(value: boolean) {
      state.holdEmailSends = value;
      if (!value) for (const release of heldEmail.splice(0)) release(true);
    },
    get holdEmailSendsTo() {
      return state.holdEmailSendsTo;
    },
    set holdEmailSendsTo(value: string | null) {
      state.holdEmailSendsTo = value;
      if (value === null) for (const release of heldEmail.splice(0)) release(true);
    },
    arrivals,
    dropHeldEmailSends() {
      for (const release of heldEmail.splice(0)) release(false);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const release of held.splice(0)) release();
        for (const release of heldEmail.splice(0)) release(false);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
