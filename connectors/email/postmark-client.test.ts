import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../kit/http-errors.ts';
import { PostmarkClient } from './postmark-client.ts';

/** A transactional email API that sends but has no outbound message search, as some Postmark look-alikes. */
const API = 'https://mail.provider.test';
const server = setupServer(
  http.post(`${API}/email`, () => HttpResponse.json({ MessageID: 'b7bc2f4a-e38e-4336-af7d-e6c392c2f817', ErrorCode: 0 })),
  http.get(`${API}/messages/outbound`, () => HttpResponse.json({ ErrorCode: 404, Message: 'Not found.' }, { status: 404 })),
);
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

describe('PostmarkClient.findSent', () => {
  it('says plainly that a provider without the outbound search cannot confirm an interrupted send', async () => {
    const client = new PostmarkClient({ apiUrl: API, serverToken: 'server-token-3f9c', messageStream: 'outbound', http: { retry: false } });
    const error = await client.findSent('run_1:confirm').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ retryable: false, status: 404 });
    expect((error as Error).message).toMatch(/^email: the provider has no outbound message search \(GET \/messages\/outbound answered 404\)/);
    expect((error as Error).message).toContain('does not send it again');
    expect(JSON.stringify({ error, message: (error as Error).message })).not.toContain('server-token-3f9c');
  });
});
