import { expect, it } from 'vitest';
import type { Logger } from '../../connectors/kit/define-connector.ts';
import { Outage, type OutageMessages } from './outage.ts';

/** The lines an operator would read: level, message and fields. */
function recordingLog(): { log: Logger; said: Array<{ level: string; message: string; fields: Record<string, unknown> }> } {
  const said: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
  const at = (level: string) => (fields: object, message?: string) => void said.push({ level, message: message ?? '', fields: fields as Record<string, unknown> });
  return { log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, said };
}

const MESSAGES: OutageMessages = { started: 'the thing fails', still: 'the thing still fails', over: (n) => `the thing works again after ${n} failures` };

it('with a quiet time, a store that fails every other request is one outage, not a start and an end per request, and is over once it stays up', () => {
  const { log, said } = recordingLog();
  let now = 0;
  const outage = new Outage(log, MESSAGES, { now: () => now, quietMs: 30_000 });
  // Ten minutes of a flapping store: every 5 s a request fails and, 2.5 s later, one works.
  for (let t = 0; t < 600_000; t += 5_000) {
    now = t;
    outage.failed(new Error('Connection terminated unexpectedly'), { source: 'prm' });
    now = t + 2_500;
    outage.succeeded();
  }
  expect(said.filter((s) => s.level === 'error')).toEqual([{ level: 'error', message: 'the thing fails', fields: { source: 'prm', error: 'Connection terminated unexpectedly' } }]);
  expect(said.filter((s) => s.level === 'info')).toEqual([]);
  const reminders = said.filter((s) => s.level === 'warn');
  expect(reminders).toHaveLength(9);
  expect(reminders[0]).toMatchObject({ message: 'the thing still fails', fields: { source: 'prm', failures: 13, forMs: 60_000, workedMeanwhile: 12 } });

  // Up for good: successes within 30 s of the last failure keep the outage; the first one after says it is over.
  now += 10_000;
  outage.succeeded();
  expect(said.at(-1)!.level).toBe('warn');
  now += 30_000;
  outage.succeeded();
  // From the first failure to the first success after the last one.
  expect(said.at(-1)).toEqual({ level: 'info', message: 'the thing works again after 120 failures', fields: { failures: 120, forMs: 597_500, workedMeanwhile: 121, workedAgainAt: expect.any(String) } });
  expect(outage.failures).toBe(0);
});

it('with a quiet time, a success and then silence ends the outage at that success: a failure an hour later starts another', () => {
  const { log, said } = recordingLog();
  let now = 0;
  const outage = new Outage(log, MESSAGES, { now: () => now, quietMs: 30_000 });
  outage.failed(new Error('down'));
  now = 2_000;
  outage.failed(new Error('down'));
  now = 4_000;
  outage.succeeded();
  now = 3_600_000;
  outage.failed(new Error('down again'));
  expect(said.map((s) => `${s.level}: ${s.message}`)).toEqual(['error: the thing fails', 'info: the thing works again after 2 failures', 'error: the thing fails']);
  expect(said[1]!.fields).toEqual({ failures: 2, forMs: 4_000, workedMeanwhile: 1, workedAgainAt: expect.any(String) });
  expect(said[2]!.fields).toEqual({ error: 'down again' });
});
