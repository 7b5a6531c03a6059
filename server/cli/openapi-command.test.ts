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

  it('documents GET /timers: both cursors, the limit, their next cursors, the schedules and polls, and the 400', async () => {
    expect(await openapiCommand.run({ values: {}, positionals: [] })).toBe(0);
    const document = JSON.parse(output.out.join('\n'));
    const timers = document.paths['/timers'].get;
    expect(timers.parameters.map((p: { name: string }) => p.name)).toEqual(['limit', 'after', 'runsAfter']);
    expect(timers.parameters.find((p: { name: string }) => p.name === 'limit').schema).toMatchObject({ minimum: 1, maximum: 200 });
    expect(Object.keys(timers.responses)).toEqual(expect.arrayContaining(['200', '400']));
    expect(Object.keys(document.components.schemas.TimerList.properties)).toEqual(['timers', 'business_timers', 'schedules', 'polls', 'nextAfter', 'nextRunsAfter', 'next_after', 'next_runs_after']);
    // The cursors are camelCase, as nextBefore of GET /runs; the former names are answered too, marked deprecated.
    expect(document.components.schemas.TimerList.properties.next_after.description).toMatch(/^Deprecated: the same as `nextAfter`/);
    // The recipes' schedules and polls, with their next times (review 8, F8).
    expect(Object.keys(document.components.schemas.Schedule.properties)).toEqual(['recipe', 'cron', 'timezone', 'fires_at']);
    expect(Object.keys(document.components.schemas.Poll.properties)).toEqual(['recipe', 'action', 'every', 'fires_at', 'failures', 'last_error']);
    expect(timers.summary).toContain("the recipes' schedules (cron triggers) with their next fire time, and their polls (poll triggers)");
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
