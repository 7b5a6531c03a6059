import { HttpResponse } from 'msw';
import type { ScenarioStep } from '../schemas/scenario.ts';

/** A scenario's `fault` step: its enums are the faults the mocks must be able to answer. */
type FaultStep = Extract<ScenarioStep, { fault: unknown }>['fault'];

/** The simulated systems a fault can be injected into. */
export type SimulatedSystemName = FaultStep['system'];

/**
 * What goes wrong:
 * - `rate_limit`: the system's own "over the limit" answer: 429 with `Retry-After` from the PRM and
 *   email, 403 `REQUEST_LIMIT_EXCEEDED` without `Retry-After` from Salesforce (docs/systems.md, the Errors and Limits of each API);
 * - `server_error`: 500 with the system's error body;
 * - `expired_token`: Salesforce revokes every session it issued (the call answers 401 INVALID_SESSION_ID
 *   and the next grant works); the PRM and email answer 401 in their own shape;
 * - `network_error`: the connection fails, no HTTP answer at all;
 * - `too_many_concurrent`: Marketo's 615 in a 200 answer (the others answer their rate limit);
 * - `daily_quota`: Marketo only (the scenario schema refuses it elsewhere): the simulated instance
 *   spends the rest of the day's quota at the matching request, which it then answers 607 like every
 *   call until the reset (mocks/marketo/marketo-handlers.ts); it never reaches `faultResponse`;
 * - `refused`: email only (the scenario schema refuses it elsewhere): the provider refuses the message
 *   for good, as Postmark does a recipient it marked inactive (422, ErrorCode 406): no retry changes it.
 */
export type FaultKind = FaultStep['kind'];

/** A fault to inject, as a scenario's `fault` step or a test describes it. */
export interface FaultSpec {
  system: SimulatedSystemName;
  kind: FaultKind;
  /** How many matching requests it hits. @default 1 */
  times?: number | undefined;
  /** Only requests whose URL path contains this. */
  path?: string | undefined;
  /** Only requests with this method (any case). */
  method?: string | undefined;
  /** Email only: only a message sent to this address (To, Cc or Bcc, any letter case). */
  to?: string | undefined;
  /** Email only: only a message whose subject contains this. */
  subject?: string | undefined;
  /** The `Retry-After` of a rate limit, in seconds, for the systems that send one (not Salesforce). @default 1 */
  retryAfterSeconds?: number | undefined;
  /** An outage's end, in ms on the mock clock: from then on the fault hits nothing and is dropped. */
  until?: number | undefined;
}

/** The message a request sends, for a fault that targets one message (`to`, `subject`). */
export interface FaultMessage {
  /** Every recipient: To and Cc (and Bcc). */
  recipients: string[];
  subject: string;
}

interface ActiveFault extends FaultSpec {
  remaining: number;
}

/**
 * Faults waiting for requests. Each system's handler asks before its normal handling; the first matching
 * fault (in the order injected) answers the request and is used up by one.
 */
export class FaultInjector {
  #faults: ActiveFault[] = [];

  /** `now`: the mock clock, for a fault with `until`. */
  constructor(readonly now: () => number = Date.now) {}

  inject(spec: FaultSpec): void {
    const times = spec.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new RangeError(`a fault's times is a positive integer, got ${String(spec.times)}`);
    this.#faults.push({ ...spec, remaining: times });
  }

  clear(): void {
    this.#faults = [];
  }

  /**
   * The fault this request runs into, used up by one; undefined when none matches. With `pathRequired`,
   * only a fault that names a matching path counts: Salesforce's login endpoint is hit by a fault only
   * when the fault asks for it, so a plain fault lands on the API call that the test (and the journal)
   * is watching rather than on the token grant in front of it. A fault with `to` or `subject` hits
   * only a request that sends a message (`options.message`) to that address or with that subject.
   */
  take(system: SimulatedSystemName, request: Request, options: { pathRequired?: boolean; message?: FaultMessage } = {}): FaultSpec | undefined {
    const now = this.now();
    this.#faults = this.#faults.filter((f) => f.until === undefined || now < f.until);
    const path = new URL(request.url).pathname;
    const { message } = options;
    const index = this.#faults.findIndex(
      (f) =>
        f.system === system &&
        (f.method === undefined || f.method.toUpperCase() === request.method.toUpperCase()) &&
        (f.path === undefined ? !options.pathRequired : path.includes(f.path)) &&
        (f.to === undefined || (message?.recipients.some((r) => r.toLowerCase() === f.to!.toLowerCase()) ?? false)) &&
        (f.subject === undefined || (message?.subject.includes(f.subject) ?? false)),
    );
    if (index < 0) return undefined;
    const fault = this.#faults[index]!;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#faults.splice(index, 1);
    const { remaining: _left, ...spec } = fault;
    return spec;
  }
}

/** A system's error bodies for the faults that answer with HTTP. */
export interface FaultBodies {
  rateLimit(retryAfterSeconds: number): unknown;
  /**
   * How the system says it is over its limit, when not 429 with `Retry-After`: Salesforce answers 403
   * and names no time to wait.
   * @default { status: 429, retryAfter: true }
   */
  rateLimitAnswer?: { status: number; retryAfter: boolean };
  /** The answer to `too_many_concurrent` (Marketo's 615); other systems answer it as their rate limit. */
  tooManyConcurrent?(): unknown;
  serverError(): unknown;
  expiredToken(): unknown;
  /** The answer to `refused` (a refusal for good, 422), for the systems that have one (the email provider). */
  refused?(recipients: readonly string[]): unknown;
}

/**
 * The answer to a fault in the system's own shape: `network_error` fails the connection (`fetch`
 * rejects), the others answer the system's rate-limit status (429 unless it says otherwise), 500 or 401
 * with the system's error body.
 */
export function faultResponse(fault: FaultSpec, bodies: FaultBodies, headers: Record<string, string> = {}, message?: FaultMessage): Response {
  switch (fault.kind) {
    case 'network_error':
      return HttpResponse.error();
    case 'too_many_concurrent':
    case 'daily_quota':
    case 'rate_limit': {
      // A system without a concurrency or quota answer of its own (all but Marketo) refuses as over its rate limit.
      if (fault.kind === 'too_many_concurrent' && bodies.tooManyConcurrent) return HttpResponse.json(bodies.tooManyConcurrent() as object, { status: 200, headers });
      const seconds = fault.retryAfterSeconds ?? 1;
      const { status, retryAfter } = bodies.rateLimitAnswer ?? { status: 429, retryAfter: true };
      return HttpResponse.json(bodies.rateLimit(seconds) as object, { status, headers: retryAfter ? { ...headers, 'Retry-After': String(seconds) } : headers });
    }
    case 'server_error':
      return HttpResponse.json(bodies.serverError() as object, { status: 500, headers });
    case 'expired_token':
      return HttpResponse.json(bodies.expiredToken() as object, { status: 401, headers });
    case 'refused':
      if (!bodies.refused) throw new Error('a `refused` fault is for the email provider only');
      return HttpResponse.json(bodies.refused(message?.recipients ?? []) as object, { status: 422, headers });
  }
}
