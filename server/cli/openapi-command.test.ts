import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureConsole } from '../../test/support/capture-console.ts';
import { openapiCommand } from './openapi-command.ts';

describe('partnerflow openapi', () => {
  let output: ReturnType<typeof captureConsole>;
  beforeEach(() => {
    output = captureConsole();
  });
  afterEach(() => output.restore());

  it('prints the OpenAPI document of the HTTP API as JSON', async () => {
    expect(await openapiCommand.run({ values: {}, positionals: [] })).toBe(0);
    const document = JSON.parse(output.out.join('\n'));
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/webhooks/{source}', '/approvals/{token}', '/runs/{id}', '/openapi.json']));
    expect(Object.keys(document.paths).some((p) => p.startsWith('/_mock'))).toBe(false);
  });

  it('documents GET /timers paging: both cursors, the limit, their next cursors and the 400', async () => {
    expect(await openapiCommand.run({ values: {}, positionals: [] })).toBe(0);
    const document = JSON.parse(output.out.join('\n'));
    const timers = document.paths['/timers'].get;
    expect(timers.parameters.map((p: { name: string }) => p.name)).toEqual(['limit', 'after', 'runs_after']);
    expect(timers.parameters.find((p: { name: string }) => p.name === 'limit').schema).toMatchObject({ minimum: 1, maximum: 200 });
    expect(Object.keys(timers.responses)).toEqual(expect.arrayContaining(['200', '400']));
    expect(Object.keys(document.components.schemas.TimerList.properties)).toEqual(['timers', 'business_timers', 'next_after', 'next_runs_after']);
  });

  it('includes the /_mock routes with --mock', async () => {
    expect(await openapiCommand.run({ values: { mock: true }, positionals: [] })).toBe(0);
    expect(Object.keys(JSON.parse(output.out.join('\n')).paths)).toContain('/_mock/clock/advance');
  });

  it('exits 2 when given arguments', async () => {
    expect(await openapiCommand.run({ values: {}, positionals: ['extra'] })).toBe(2);
    expect(output.err[0]).toBe('partnerflow openapi: takes no arguments, got "extra"');
  });
});
