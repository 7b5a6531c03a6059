import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createConsoleLogger, createLogger } from './log.ts';

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

  it('writes ISO 8601 times in JSON lines, not epoch milliseconds', () => {
    const { lines, log } = captured();
    log.info({ runId: 'run_1' }, 'run started');
    expect((JSON.parse(lines.join('')) as { time: unknown }).time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('prints readable lines, not JSON, when the output is a terminal', async () => {
    let text = '';
    const terminal = Object.assign(
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          text += chunk.toString();
          done();
        },
      }),
      { isTTY: true },
    );
    const log = await createConsoleLogger('info', terminal);
    log.info({ runId: 'run_1', recipe: 'mdf-request-approval', key: 'MDF-1001', apiKey: 'ak-secret-7' }, 'run started: mdf-request-approval for MDF-1001');
    expect(text).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d{4}\] INFO: run started: mdf-request-approval for MDF-1001 {.*}\n$/);
    expect(text).toContain('"runId":"run_1"');
    expect(text).toContain('"key":"MDF-1001"');
    expect(text).not.toContain('ak-secret-7');
    expect(() => JSON.parse(text) as unknown).toThrow();
  });
});
