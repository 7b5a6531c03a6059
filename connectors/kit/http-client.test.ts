import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { capturingLogger } from './action-test-context.ts';
import { HttpClient, type HttpClientOptions } from './http-client.ts';
import { AuthError, NetworkError, RateLimitError, ResponseShapeError, ServerError, StoppedBeforeAttemptError, TimeoutError, ValidationError } from './http-errors.ts';
import { RateLimiter } from './rate-limiter.ts';

const BASE = 'https://api.kit.test/v1';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** A client whose backoff waits are recorded instead of slept, so retry tests take no time. */
function clientWith(options: Partial<HttpClientOptions> = {}, now: () => number = Date.now) {
  const waits: number[] = [];
  const client = new HttpClient({
    system: 'acme',
    baseUrl: BASE,
    clock: {
      now,
      sleep: async (ms) => {
        waits.push(ms);
      },
    },
    random: () => 0.5,
    ...options,
  });
  return { client, waits };
}

describe('HttpClient', () => {
  it('sends JSON with the default and auth headers and returns the parsed body', async () => {
    server.use(
      http.post(`${BASE}/things`, async ({ request }) =>
        HttpResponse.json(
          { received: await request.json(), auth: request.headers.get('authorization'), tenant: request.headers.get('x-tenant'), q: new URL(request.url).searchParams.get('q') },
          { status: 201 },
        ),
      ),
    );
    const { client } = clientWith({ headers: { 'x-tenant': '7' }, auth: { headers: async () => ({ authorization: 'key abc' }) } });
    const res = await client.request({ method: 'POST', path: '/things', query: { q: 'x y', skip: undefined }, body: { name: 'Widget' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ received: { name: 'Widget' }, auth: 'key abc', tenant: '7', q: 'x y' });
  });

  it('sends form bodies url-encoded', async () => {
    server.use(http.post(`${BASE}/token`, async ({ request }) => HttpResponse.json({ type: request.headers.get('content-type'), form: Object.fromEntries(new URLSearchParams(await request.text())) })));
    const { client } = clientWith();
    const res = await client.request({ method: 'POST', path: 'token', form: { grant_type: 'client_credentials', client_id: 'a b' } });
    expect(res.body).toEqual({ type: 'application/x-www-form-urlencoded', form: { grant_type: 'client_credentials', client_id: 'a b' } });
  });

  it('retries a 429 after the Retry-After delay and returns the later success', async () => {
    let calls = 0;
    server.use(
      http.get(`${BASE}/items`, () => {
        calls += 1;
        return calls === 1 ? HttpResponse.json({ message: 'slow down' }, { status: 429, headers: { 'Retry-After': '2' } }) : HttpResponse.json({ items: [1] });
      }),
    );
    const notes: string[] = [];
    const { client, waits } = clientWith();
    const res = await client.request({ method: 'GET', path: '/items', note: (line) => notes.push(line) });
    expect(res.body).toEqual({ items: [1] });
    expect(waits).toEqual([2000]);
    expect(notes[0]).toMatch(/acme GET \/v1\/items answered 429: slow down; retrying in 2\.0 s \(attempt 2 of 3\)/);
  });

  it('honours a Retry-After HTTP-date against the injected clock', async () => {
    const now = Date.UTC(2026, 0, 5, 9, 0, 0);
    let calls = 0;
    server.use(
      http.get(`${BASE}/items`, () => {
        calls += 1;
        return calls === 1
          ? new HttpResponse(null, { status: 503, headers: { 'Retry-After': new Date(now + 5000).toUTCString() } })
          : HttpResponse.json({ ok: true });
      }),
    );
    const { client, waits } = clientWith({}, () => now);
    await client.request({ method: 'GET', path: '/items' });
    expect(waits).toEqual([5000]);
  });

  it('gives up after the attempts and throws the last error with its retry hint for the engine', async () => {
    server.use(http.get(`${BASE}/items`, () => HttpResponse.json({ message: 'busy' }, { status: 429, headers: { 'Retry-After': '1' } })));
    const { client, waits } = clientWith();
    const error = await client.request({ method: 'GET', path: '/items' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ retryable: true, retryAfterMs: 1000, status: 429, system: 'acme' });
    expect(waits).toHaveLength(2);
  });

  it('leaves a Retry-After longer than it will wait to the engine', async () => {
    let calls = 0;
    server.use(
      http.get(`${BASE}/items`, () => {
        calls += 1;
        return HttpResponse.json({ message: 'quota' }, { status: 429, headers: { 'Retry-After': '3600' } });
      }),
    );
    const { client, waits } = clientWith();
    await expect(client.request({ method: 'GET', path: '/items' })).rejects.toMatchObject({ retryAfterMs: 3_600_000 });
    expect(waits).toEqual([]);
    expect(calls).toBe(1);
  });

  it('backs off exponentially with full jitter on server errors', async () => {
    server.use(http.get(`${BASE}/items`, () => HttpResponse.json({ message: 'boom' }, { status: 502 })));
    const { client, waits } = clientWith({ retry: { attempts: 4, baseDelayMs: 100 }, random: () => 1 });
    await expect(client.request({ method: 'GET', path: '/items' })).rejects.toBeInstanceOf(ServerError);
    expect(waits).toEqual([100, 200, 400]);
  });

  it('does not retry a 400 and names the system, method, path and its message', async () => {
    let calls = 0;
    server.use(
      http.put(`${BASE}/items/7`, () => {
        calls += 1;
        return HttpResponse.json({ errors: [{ code: 'InvalidValue', message: 'Status is not a valid value' }] }, { status: 400 });
      }),
    );
    const { client, waits } = clientWith();
    const error = await client.request({ method: 'PUT', path: '/items/7', body: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toBe('acme PUT /v1/items/7 answered 400: InvalidValue: Status is not a valid value');
    expect(error).toMatchObject({ retryable: false, code: 'InvalidValue' });
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });

  it('does not retry a POST unless it is marked idempotent', async () => {
    let calls = 0;
    server.use(
      http.post(`${BASE}/send`, () => {
        calls += 1;
        return calls < 2 ? HttpResponse.json({}, { status: 503 }) : HttpResponse.json({ sent: true });
      }),
    );
    const { client } = clientWith();
    await expect(client.request({ method: 'POST', path: '/send' })).rejects.toBeInstanceOf(ServerError);
    calls = 0;
    const res = await client.request({ method: 'POST', path: '/send', idempotent: true });
    expect(res.body).toEqual({ sent: true });
  });

  it('turns a slow answer into a retryable TimeoutError', async () => {
    server.use(
      http.get(`${BASE}/slow`, async () => {
        await delay(2_000);
        return HttpResponse.json({});
      }),
    );
    const { client } = clientWith({ timeoutMs: 50, retry: false });
    const error = await client.request({ method: 'GET', path: '/slow' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ retryable: true, status: null });
    expect((error as Error).message).toBe('acme GET /v1/slow failed: no answer within 50 ms');
  });

  it("passes the caller's cancellation through without retrying", async () => {
    server.use(
      http.get(`${BASE}/slow`, async () => {
        await delay(2_000);
        return HttpResponse.json({});
      }),
    );
    const { client, waits } = clientWith();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('step canceled')), 20);
    await expect(client.request({ method: 'GET', path: '/slow', signal: controller.signal })).rejects.toThrow('step canceled');
    expect(waits).toEqual([]);
  });

  it('retries a network failure of an idempotent request', async () => {
    let calls = 0;
    server.use(
      http.get(`${BASE}/flaky`, () => {
        calls += 1;
        return calls === 1 ? HttpResponse.error() : HttpResponse.json({ ok: true });
      }),
    );
    const { client } = clientWith();
    expect((await client.request({ method: 'GET', path: '/flaky' })).body).toEqual({ ok: true });

    server.use(http.get(`${BASE}/down`, () => HttpResponse.error()));
    await expect(client.request({ method: 'GET', path: '/down' })).rejects.toBeInstanceOf(NetworkError);
  });

  it('refreshes the token once on a 401 and repeats the request with the new one', async () => {
    let token = 'old';
    let refreshes = 0;
    server.use(
      http.post(`${BASE}/records`, ({ request }) =>
        request.headers.get('authorization') === 'Bearer new'
          ? HttpResponse.json({ id: 'r1' }, { status: 201 })
          : HttpResponse.json([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }], { status: 401 }),
      ),
    );
    const { client } = clientWith({
      auth: {
        headers: async () => ({ authorization: `Bearer ${token}` }),
        onUnauthorized: async () => {
          refreshes += 1;
          token = 'new';
          return true;
        },
      },
    });
    // A POST is repeated after a refused session: the system did not process it.
    expect((await client.request({ method: 'POST', path: '/records', body: {} })).body).toEqual({ id: 'r1' });
    expect(refreshes).toBe(1);
  });

  it('refreshes at most once per request when the new token is refused too', async () => {
    let refreshes = 0;
    server.use(http.get(`${BASE}/records`, () => HttpResponse.json([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }], { status: 401 })));
    const { client } = clientWith({
      auth: {
        headers: async () => ({ authorization: 'Bearer x' }),
        onUnauthorized: async () => {
          refreshes += 1;
          return true;
        },
      },
    });
    const error = await client.request({ method: 'GET', path: '/records' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as Error).message).toBe('acme GET /v1/records answered 401: INVALID_SESSION_ID: Session expired or invalid');
    expect(refreshes).toBe(1);
  });

  it('lets a system map an error hidden in a 200 body', async () => {
    server.use(http.get(`${BASE}/leads`, () => HttpResponse.json({ success: false, errors: [{ code: '606', message: 'Max rate limit exceeded' }] })));
    let calls = 0;
    const { client } = clientWith({
      retry: { attempts: 2 },
      responseCheck: (res, body) => {
        calls += 1;
        const b = body as { success?: boolean; errors?: Array<{ code: string; message: string }> };
        if (b.success === false && b.errors?.[0]?.code === '606') return new RateLimitError({ ...res, body, code: '606', systemMessage: b.errors[0].message, retryAfterMs: 20_000 });
        return undefined;
      },
    });
    const error = await client.request({ method: 'GET', path: '/leads' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as Error).message).toBe('acme GET /v1/leads answered 200: 606: Max rate limit exceeded');
    expect(calls).toBe(2);
  });

  it('checks the body against the expected shape and names the field that differs', async () => {
    server.use(http.get(`${BASE}/things/1`, () => HttpResponse.json({ data: { id: 1, status: 'Weird' } })));
    const { client } = clientWith();
    const Shape = z.object({ data: z.object({ id: z.number(), status: z.enum(['Open', 'Closed']) }) });
    const error = await client.request({ method: 'GET', path: '/things/1', expect: Shape }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseShapeError);
    expect((error as Error).message).toMatch(/^acme GET \/v1\/things\/1 answered 200: unexpected response: data\.status: Invalid option/);
    expect(error).toMatchObject({ retryable: false });
  });

  it('keeps secrets in the query out of the error', async () => {
    server.use(http.get('https://login.kit.test/token', () => HttpResponse.json({ error: 'invalid_client' }, { status: 401 })));
    const { client } = clientWith();
    const error = (await client
      .request({ method: 'GET', path: 'https://login.kit.test/token', query: { client_id: 'me', client_secret: 'hunter2hunter2' } })
      .catch((e: unknown) => e)) as AuthError;
    expect(error.url).toBe('https://login.kit.test/token?client_id=me&client_secret=%5Bredacted%5D');
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('hunter2');
  });

  it('keeps the token of a malformed token answer out of the error, whether it parsed or not', async () => {
    const Token = z.object({ access_token: z.string(), instance_url: z.url() });
    const { client } = clientWith();

    server.use(http.post(`${BASE}/token`, () => HttpResponse.json({ access_token: 'at-5e1f0c9d', refresh_token: 'rt-77aa01', instance_url: 'not a url' })));
    const shape = (await client.request({ method: 'POST', path: 'token', expect: Token }).catch((e: unknown) => e)) as ResponseShapeError;
    expect(shape).toBeInstanceOf(ResponseShapeError);
    expect(shape.message).toMatch(/unexpected response: instance_url/);
    expect(shape.body).toEqual({ access_token: '[redacted]', refresh_token: '[redacted]', instance_url: 'not a url' });

    server.use(http.post(`${BASE}/token`, () => new HttpResponse('{"access_token":"at-5e1f0c9d","instance_url":', { headers: { 'content-type': 'application/json' } })));
    const broken = (await client.request({ method: 'POST', path: 'token', expect: Token }).catch((e: unknown) => e)) as ResponseShapeError;
    expect(broken).toBeInstanceOf(ResponseShapeError);
    expect(broken.body).toBe('{"access_token":"[redacted]","instance_url":');

    expect(JSON.stringify([shape, broken, shape.message, broken.message])).not.toMatch(/at-5e1f0c9d|rt-77aa01/);
  });

  it('keeps secrets in the query out of the debug log line', async () => {
    server.use(http.get(`${BASE}/token`, () => HttpResponse.json({ ok: true })));
    const log = { ...capturingLogger(), isLevelEnabled: (level: string) => level === 'debug' };
    const { client } = clientWith({ log });
    await client.request({ method: 'GET', path: 'token', query: { client_id: 'me', client_secret: 'hunter2hunter2' } });
    const debug = log.lines.filter((line) => line.level === 'debug');
    expect(debug).toEqual([
      { level: 'debug', fields: expect.objectContaining({ url: `${BASE}/token?client_id=me&client_secret=%5Bredacted%5D`, status: 200 }), message: 'acme GET 200' },
    ]);
    expect(log.text()).not.toContain('hunter2');
  });

  it('does not build the debug line when the logger says debug is off', async () => {
    server.use(http.get(`${BASE}/items`, () => HttpResponse.json({ ok: true })));
    const log = { ...capturingLogger(), isLevelEnabled: (level: string) => level !== 'debug' };
    const { client } = clientWith({ log });
    await client.request({ method: 'GET', path: 'items' });
    expect(log.lines).toEqual([]);
  });

  it('resolves a late base URL and passes calls through the limiter, noting the wait', async () => {
    server.use(http.get('https://org.kit.test/data/x', () => HttpResponse.json({ ok: true })));
    let now = 0;
    const limiter = new RateLimiter({ maxCalls: 1, perMs: 1000, clock: { now: () => now, sleep: async (ms) => { now += ms; } } });
    const { client } = clientWith({ baseUrl: async () => 'https://org.kit.test/data', limiter });
    const notes: string[] = [];
    await client.request({ method: 'GET', path: 'x', note: (l) => notes.push(l) });
    await client.request({ method: 'GET', path: 'x', note: (l) => notes.push(l) });
    expect(notes).toEqual(['waited 1.0 s for acme rate budget']);
  });

  // Review 5, finding 2: SIGTERM during a call to a system answering 503 sent attempts 2 and 3 after it,
  // and waited through Retry-After (up to 60 s), holding the shutdown for over a minute.
  describe('once the process is stopping', () => {
    it('sends no further attempt after the one under way, and throws its error as after the last attempt', async () => {
      const stopping = new AbortController();
      let calls = 0;
      server.use(
        http.put(`${BASE}/things/1`, () => {
          calls += 1;
          stopping.abort(); // SIGTERM arrives while the system works on the first attempt
          return HttpResponse.json({ message: 'unavailable' }, { status: 503 });
        }),
      );
      const notes: string[] = [];
      const { client, waits } = clientWith({ stopping: stopping.signal });
      const failed = await client.request({ method: 'PUT', path: '/things/1', body: {}, note: (line) => notes.push(line) }).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(ServerError);
      expect(calls).toBe(1);
      expect(waits).toEqual([]);
      expect(notes).toEqual(['acme PUT /v1/things/1 answered 503: unavailable; not retried in this call: the runtime was stopping']);
    });

    it('ends a Retry-After wait under way at the stop, without another attempt', async () => {
      const stopping = new AbortController();
      let calls = 0;
      server.use(
        http.get(`${BASE}/items`, () => {
          calls += 1;
          return HttpResponse.json({ message: 'slow down' }, { status: 429, headers: { 'Retry-After': '50' } });
        }),
      );
      // A clock whose sleep lasts until its signal ends it: the 50 s wait is under way when the stop comes.
      let sleeping = false;
      const clock = {
        now: Date.now,
        sleep: (_ms: number, signal?: AbortSignal) =>
          new Promise<void>((_, reject) => {
            sleeping = true;
            signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
          }),
      };
      const client = new HttpClient({ system: 'acme', baseUrl: BASE, clock, random: () => 0.5, stopping: stopping.signal });
      const request = client.request({ method: 'GET', path: '/items' }).catch((error: unknown) => error);
      await vi.waitFor(() => expect(sleeping).toBe(true));
      stopping.abort();
      expect(await request).toBeInstanceOf(RateLimitError);
      expect(calls).toBe(1);
    });

    // A call waiting for rate budget before its first attempt kept waiting through the stop (a Marketo
    // call up to 20 s): nothing was sent yet, so it gives up at once, saying so.
    describe('a call waiting for rate budget', () => {
      /** A limiter clock whose waits last until their signal ends them (a window full for a long while). */
      const hangingClock = (waiting: { count: number }) => ({
        now: Date.now,
        sleep: (_ms: number, signal?: AbortSignal) =>
          new Promise<void>((_, reject) => {
            waiting.count += 1;
            signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
          }),
      });
      /** A stop, a limiter of one call per 20 s on a hanging clock (its waits counted), and a client given both. */
      const stoppableClient = () => {
        const stopping = new AbortController();
        const waiting = { count: 0 };
        const limiter = new RateLimiter({ maxCalls: 1, perMs: 20_000, clock: hangingClock(waiting) });
        const { client } = clientWith({ limiter, stopping: stopping.signal });
        return { stopping, waiting, limiter, client };
      };

      it('before its first attempt gives up at the stop: nothing sent, a StoppedBeforeAttemptError saying so', async () => {
        const sent: string[] = [];
        server.use(http.get(`${BASE}/items/:id`, ({ params }) => (sent.push(String(params.id)), HttpResponse.json({ ok: true }))));
        const { stopping, waiting, client } = stoppableClient();
        await client.request({ method: 'GET', path: '/items/1' });
        const notes: string[] = [];
        const second = client.request({ method: 'GET', path: '/items/2?api_key=k3y', note: (line) => notes.push(line) }).catch((error: unknown) => error);
        await vi.waitFor(() => expect(waiting.count).toBe(1));
        const stoppedAt = performance.now();
        stopping.abort();
        const failed = (await second) as StoppedBeforeAttemptError;
        expect(performance.now() - stoppedAt).toBeLessThan(500);
        expect(failed).toBeInstanceOf(StoppedBeforeAttemptError);
        expect({ message: failed.message, stoppedBeforeAttempt: failed.stoppedBeforeAttempt }).toEqual({
          message: 'acme GET /v1/items/2 not sent: the runtime was stopping while the call waited for acme rate budget',
          stoppedBeforeAttempt: true,
        });
        expect(sent).toEqual(['1']);
        expect(notes).toEqual(['acme GET /v1/items/2 not sent: the runtime was stopping while the call waited for acme rate budget']);
      });

      it('for a retry gives up at the stop with the error of the attempt made, not sending another', async () => {
        let calls = 0;
        server.use(http.put(`${BASE}/things/1`, () => (calls++, HttpResponse.json({ message: 'unavailable' }, { status: 503 }))));
        // The first attempt takes the window's only call: its retry waits for the window.
        const { stopping, waiting, client } = stoppableClient();
        const notes: string[] = [];
        const request = client.request({ method: 'PUT', path: '/things/1', body: {}, note: (line) => notes.push(line) }).catch((error: unknown) => error);
        await vi.waitFor(() => expect(waiting.count).toBe(1));
        stopping.abort();
        expect(await request).toBeInstanceOf(ServerError);
        expect(calls).toBe(1);
        expect(notes.at(-1)).toBe('acme PUT /v1/things/1 answered 503: unavailable; not retried in this call: the runtime was stopping');
      });

      it('for the retry with a new token after a 401 gives up at the stop: its first attempt was sent and answered 401, and the error says so, not "not sent"', async () => {
        const sent: string[] = [];
        server.use(
          http.post(`${BASE}/records`, ({ request }) => {
            sent.push(request.headers.get('authorization') ?? '');
            return HttpResponse.json([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }], { status: 401 });
          }),
        );
        const stopping = new AbortController();
        const waiting = { count: 0 };
        // The first attempt takes the window's only call: the retry with the new token waits for the window.
        const limiter = new RateLimiter({ maxCalls: 1, perMs: 20_000, clock: hangingClock(waiting) });
        let token = 'old';
        const { client } = clientWith({ limiter, stopping: stopping.signal, auth: { headers: async () => ({ authorization: `Bearer ${token}` }), onUnauthorized: async () => ((token = 'new'), true) } });
        const notes: string[] = [];
        const request = client.request({ method: 'POST', path: '/records', body: {}, note: (line) => notes.push(line) }).catch((error: unknown) => error);
        await vi.waitFor(() => expect(waiting.count).toBe(1));
        stopping.abort();
        const failed = (await request) as StoppedBeforeAttemptError;
        expect(failed).toBeInstanceOf(StoppedBeforeAttemptError);
        const told =
          'acme POST /v1/records: its first attempt was answered 401 (session expired) and changed nothing; the retry with a new token was not sent: the runtime was stopping while the call waited for acme rate budget';
        // Still nothing to repeat or check: the engine leaves the step as it was.
        expect({ message: failed.message, stoppedBeforeAttempt: failed.stoppedBeforeAttempt }).toEqual({ message: told, stoppedBeforeAttempt: true });
        expect(sent).toEqual(['Bearer old']);
        expect(notes).toEqual(['acme session expired; got a new token and repeated the call', told]);
      });

      it('in a queue behind another waiting call gives up at the stop too', async () => {
        const sent: string[] = [];
        server.use(http.get(`${BASE}/items/:id`, ({ params }) => (sent.push(String(params.id)), HttpResponse.json({ ok: true }))));
        const { stopping, waiting, limiter, client } = stoppableClient();
        await client.request({ method: 'GET', path: '/items/1' });
        // The call waiting for the window is one that does not stop (another client on the limiter): only
        // the queued calls' own stop can end their wait in the queue behind it.
        const head = new AbortController();
        const other = clientWith({ limiter }).client;
        const first = other.request({ method: 'GET', path: '/items/2', signal: head.signal }).catch((error: unknown) => error);
        await vi.waitFor(() => expect(waiting.count).toBe(1));
        const queued = [3, 4].map((id) => client.request({ method: 'GET', path: `/items/${id}` }).catch((error: unknown) => error));
        await new Promise((r) => setTimeout(r, 50));
        const stoppedAt = performance.now();
        stopping.abort();
        for (const failed of await Promise.all(queued)) expect(failed).toBeInstanceOf(StoppedBeforeAttemptError);
        expect(performance.now() - stoppedAt).toBeLessThan(500);
        expect(sent).toEqual(['1']);
        head.abort(new Error('test over'));
        expect(await first).toEqual(new Error('test over'));
        expect(sent).toEqual(['1']);
      });

      it('once stopping, a call takes a slot that is free (it is sent), and waits for none', async () => {
        const sent: string[] = [];
        server.use(http.get(`${BASE}/items/:id`, ({ params }) => (sent.push(String(params.id)), HttpResponse.json({ ok: true }))));
        const { stopping, waiting, client } = stoppableClient();
        stopping.abort();
        await client.request({ method: 'GET', path: '/items/1' });
        expect(await client.request({ method: 'GET', path: '/items/2' }).catch((error: unknown) => error)).toBeInstanceOf(StoppedBeforeAttemptError);
        expect(sent).toEqual(['1']);
        expect(waiting.count).toBe(0);
      });
    });

    it("still passes the caller's own cancellation through during a wait", async () => {
      const stopping = new AbortController();
      const caller = new AbortController();
      server.use(http.get(`${BASE}/items`, () => HttpResponse.json({ message: 'down' }, { status: 503 })));
      const clock = { now: Date.now, sleep: (_ms: number, signal?: AbortSignal) => new Promise<void>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true })) };
      const client = new HttpClient({ system: 'acme', baseUrl: BASE, clock, random: () => 0.5, stopping: stopping.signal });
      const request = client.request({ method: 'GET', path: '/items', signal: caller.signal }).catch((error: unknown) => error);
      await new Promise((r) => setTimeout(r, 50));
      caller.abort(new Error('lease lost'));
      expect(await request).toEqual(new Error('lease lost'));
    });
  });
});
