import { http, HttpResponse, type RequestHandler } from 'msw';
import { MARKETO_LIMITS } from '../../connectors/marketo/marketo-limits.ts';
import { faultResponse, type FaultInjector } from '../faults.ts';
import { SIMULATED_CREDENTIALS, SIMULATED_URLS } from '../simulated-urls.ts';
import { listActivities, listLeadChanges, pagingToken } from './marketo-activities-api.ts';
import type { MarketoIdentity } from './marketo-identity.ts';
import { describeLeads, getLeads, mergeLeads, upsertLeads } from './marketo-leads-api.ts';
import { changeListMembers, triggerCampaign } from './marketo-lists-api.ts';
import { MESSAGES, marketoError } from './marketo-responses.ts';
import type { MarketoState } from './marketo-state.ts';
import type { MarketoUsage } from './marketo-usage.ts';

/** Everything the simulated Marketo instance is made of. */
export interface MarketoInstance {
  state: MarketoState;
  identity: MarketoIdentity;
  usage: MarketoUsage;
  faults: FaultInjector;
  /**
   * What answering a call takes, between being admitted and answering: by default one turn of the
   * event loop (no real time), so calls sent together are in flight together and the 615 limit can
   * be seen; a test may make it longer.
   */
  latency: () => Promise<void>;
}

const ORIGIN = new URL(SIMULATED_URLS.marketo).origin;

/**
 * The simulated Marketo (docs/systems.md, Marketo REST; mocks/marketo/README.md): the identity service
 * and the REST API, with Marketo's envelope, its business errors in HTTP 200, and its limits enforced.
 */
export function marketoHandlers(instance: MarketoInstance): RequestHandler[] {
  return [http.all(`${ORIGIN}/*`, ({ request }) => handle(request, instance))];
}

async function handle(request: Request, instance: MarketoInstance): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === '/identity/oauth/token') return token(request, url, instance);
  if (!url.pathname.startsWith('/rest/')) return new HttpResponse('Not Found', { status: 404, headers: { 'content-type': 'text/html' } });

  const fault = instance.faults.take('marketo', request);
  if (fault?.kind === 'expired_token') instance.identity.expire();
  // The day's quota runs out at this call: it, and every call until the reset, is refused with 607 below.
  else if (fault?.kind === 'daily_quota') instance.usage.spendQuota();
  else if (fault) {
    return faultResponse(fault, {
      // Marketo's "over the limit" is a 606 in a 200 answer, without Retry-After.
      rateLimit: () => ({ success: false, errors: [{ code: '606', message: MESSAGES['606'] }] }),
      rateLimitAnswer: { status: 200, retryAfter: false },
      tooManyConcurrent: () => ({ success: false, errors: [{ code: '615', message: MESSAGES['615'] ?? 'Concurrent access limit reached' }] }),
      serverError: () => ({ success: false, errors: [{ code: '611', message: 'System error' }] }),
      expiredToken: () => ({ success: false, errors: [{ code: '602', message: MESSAGES['602'] }] }),
    });
  }
  // Real HTTP errors, before anything is read: a URL or a body over Marketo's size limits.
  if (request.url.length > MARKETO_LIMITS.maxUrlBytes) return new HttpResponse('<html><body><h1>414 Request-URI Too Large</h1></body></html>', { status: 414, headers: { 'content-type': 'text/html' } });
  const text = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.text();
  if (Buffer.byteLength(text) > MARKETO_LIMITS.maxBodyBytes) return new HttpResponse('<html><body><h1>413 Request Entity Too Large</h1></body></html>', { status: 413, headers: { 'content-type': 'text/html' } });

  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.get('authorization') ?? '')?.[1] ?? url.searchParams.get('access_token');
  const refused = instance.identity.check(bearer);
  if (refused) return marketoError(refused, MESSAGES[refused]!);

  const limited = instance.usage.admit();
  if (limited) return marketoError(limited, MESSAGES[limited]!);
  try {
    await instance.latency();
    let body: unknown;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        return marketoError('609', MESSAGES['609']!);
      }
    }
    return route(request.method.toUpperCase(), url, body, instance);
  } finally {
    instance.usage.done();
  }
}

function route(method: string, url: URL, body: unknown, { state }: MarketoInstance): Response {
  const path = url.pathname.replace(/^\/rest/, '');
  if (path === '/v1/leads.json' && method === 'POST') return upsertLeads(state, body);
  if (path === '/v1/leads.json' && method === 'GET') return getLeads(state, url);
  if (path === '/v1/leads/describe.json' && method === 'GET') return describeLeads(state);
  const merge = /^\/v1\/leads\/(\d+)\/merge\.json$/.exec(path);
  if (merge && method === 'POST') return mergeLeads(state, Number(merge[1]), url);
  const list = /^\/v1\/lists\/(\d+)\/leads\.json$/.exec(path);
  if (list && (method === 'POST' || method === 'DELETE')) return changeListMembers(state, Number(list[1]), method, body);
  const campaign = /^\/v1\/campaigns\/(\d+)\/trigger\.json$/.exec(path);
  if (campaign && method === 'POST') return triggerCampaign(state, Number(campaign[1]), body);
  if (path === '/v1/activities/pagingtoken.json' && method === 'GET') return pagingToken(url);
  if (path === '/v1/activities.json' && method === 'GET') return listActivities(state, url);
  if (path === '/v1/activities/leadchanges.json' && method === 'GET') return listLeadChanges(state, url);
  return marketoError('610', 'Requested resource not found');
}

/** `GET /identity/oauth/token?grant_type=client_credentials&client_id&client_secret`. */
function token(request: Request, url: URL, instance: MarketoInstance): Response {
  // Only a fault that names the identity path lands here: a plain fault is meant for an API call.
  const fault = instance.faults.take('marketo', request, { pathRequired: true });
  if (fault) {
    return faultResponse(fault, {
      rateLimit: () => ({ error: 'too_many_requests', error_description: 'Too many requests' }),
      serverError: () => ({ error: 'server_error', error_description: 'An internal error occurred' }),
      expiredToken: () => ({ error: 'unauthorized', error_description: 'Bad client credentials' }),
    });
  }
  const q = url.searchParams;
  const { clientId, clientSecret } = SIMULATED_CREDENTIALS.marketo;
  if (q.get('grant_type') !== 'client_credentials') return HttpResponse.json({ error: 'invalid_request', error_description: 'Missing or unsupported grant type' }, { status: 400 });
  if (q.get('client_id') !== clientId || q.get('client_secret') !== clientSecret) {
    return HttpResponse.json({ error: 'unauthorized', error_description: 'Bad client credentials' }, { status: 401 });
  }
  const issued = instance.identity.issue();
  return HttpResponse.json({ access_token: issued.token, token_type: 'bearer', expires_in: issued.expiresIn, scope: 'partnerflow-api@partnerflow.test' });
}
