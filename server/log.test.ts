import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './log.ts';

function captured() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, log: createLogger('info', destination) };
}

describe('createLogger', () => {
  it('censors fields named as secrets at any depth, by the journal\'s rule, and every request header', () => {
    const { lines, log } = captured();
    log.info(
      {
        connector: 'salesforce',
        response: { access_token: 'at-secret-1', token_type: 'Bearer', sessionId: 'sid-secret-2', next_page_token: 'page-3' },
        config: { clientSecret: 'cs-secret-4', apiKey: 'ak-secret-5' },
        headers: { 'x-request-id': 'req-1', cookie: 'c-secret-6' },
      },
      'token refreshed',
    );
    const line = lines.join('');
    for (const secret of ['at-secret-1', 'sid-secret-2', 'cs-secret-4', 'ak-secret-5', 'c-secret-6', 'req-1']) expect(line).not.toContain(secret);
    const fields = JSON.parse(line) as { response: Record<string, string>; msg: string };
    expect(fields.msg).toBe('token refreshed');
    expect(fields.response).toMatchObject({ access_token: '[redacted]', token_type: 'Bearer', next_page_token: 'page-3' });
  });
});
