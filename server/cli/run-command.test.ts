import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * `partnerflow run <recipe> --event <file>`: an event file that is not the recipe's trigger's event is
 * a bad event (exit 2, saying what the recipe takes), before any step runs; it used to run and fail
 * deep inside (exit 1) or run a recipe with another event's data without a word.
 */
const root = resolve(import.meta.dirname, '../..');
const webhookEvent = join(root, 'recipes/mdf-requests/examples/mdf-request-submitted.event.json');

function partnerflowRun(...args: string[]) {
  const result = spawnSync(process.execPath, [join(root, 'bin/partnerflow.js'), 'run', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent' }, timeout: 90_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

function eventFile(content: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'partnerflow-run-event-')), 'event.json');
  writeFileSync(file, JSON.stringify(content));
  return file;
}

describe('partnerflow run: the event must be the one the recipe is started by', () => {
  it('a schedule recipe given a webhook event exits 2, naming the schedule event shape, and runs nothing', () => {
    const { code, out, err } = partnerflowRun('lead-share-digest', '--mock', '--event', webhookEvent);
    expect(err).toContain(`partnerflow run: ${webhookEvent} is a webhook event (mdf_request.submitted); lead-share-digest is started by its schedule, with {"scheduled_at": "<an ISO time, e.g. 2026-03-03T07:00:00Z>"}`);
    expect(out).toBe('');
    expect(code).toBe(2);
  }, 60_000);

  it('an event file that is not JSON exits 2, naming the line and column of the mistake in words (review 8, F8)', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'partnerflow-run-event-')), 'event.json');
    writeFileSync(file, '{\n  "scheduled_at": "2026-03-03T07:00:00Z",\n}\n');
    const { code, out, err } = partnerflowRun('lead-share-digest', '--mock', '--event', file);
    expect(err).toContain(`partnerflow run: ${file}:2:41: not valid JSON: trailing comma not allowed: remove the , before }`);
    expect(out).toBe('');
    expect(code).toBe(2);
  }, 60_000);

  it('a schedule recipe given an event without a valid scheduled_at exits 2', () => {
    const { code, err } = partnerflowRun('lead-share-digest', '--mock', '--event', eventFile({ scheduled_at: 'tomorrow' }));
    expect(err).toMatch(/is not a schedule event: scheduled_at: .*; lead-share-digest is started by its schedule, with \{"scheduled_at": /);
    expect(code).toBe(2);
  }, 60_000);

  it('a schedule recipe given {"scheduled_at": …} runs with that time', () => {
    const { code, out } = partnerflowRun('lead-share-digest', '--mock', '--event', eventFile({ scheduled_at: '2026-03-03T07:00:00Z' }));
    expect(JSON.parse(out).run).toMatchObject({ recipe: 'lead-share-digest', status: 'completed' });
    expect(code).toBe(0);
  }, 60_000);

  it('a webhook recipe given a webhook event of another event exits 2, naming both events', () => {
    const claim = eventFile({ event: 'mdf_claim.submitted', data: { id: 1 } });
    const { code, out, err } = partnerflowRun('mdf-request-approval', '--mock', '--event', claim);
    expect(err).toContain(`partnerflow run: ${claim} is a mdf_claim.submitted event; mdf-request-approval is started by prm.mdf_request.submitted`);
    expect(out).toBe('');
    expect(code).toBe(2);
  }, 60_000);

  it("a webhook recipe whose trigger filter is false for the event exits 2 naming the filter and sends nothing; --ignore-filter runs it", () => {
    const submitted = JSON.parse(readFileSync(webhookEvent, 'utf8')) as { data: Record<string, unknown> };
    // A status change of an Open request: mdf-request-cancellation starts only for Canceled.
    const open = eventFile({ event: 'mdf_request.status_changed', data: { ...submitted.data, status: 'Open' } });
    const refused = partnerflowRun('mdf-request-cancellation', '--mock', '--event', open);
    expect(refused.err).toContain(`partnerflow run: mdf-request-cancellation's trigger filter \`{% data.status = 'Canceled' %}\` is false for ${open}: a delivery of this event starts no run of it. Give --ignore-filter to run it all the same`);
    expect(refused.out).toBe('');
    expect(refused.code).toBe(2);
    const forced = partnerflowRun('mdf-request-cancellation', '--mock', '--ignore-filter', '--event', open);
    expect(JSON.parse(forced.out).run).toMatchObject({ recipe: 'mdf-request-cancellation' });
  }, 60_000);

  it("a webhook recipe's run started by hand carries the keys a delivery would give it: the record's key (cancel_on finds it) and the trigger's dedup_key", () => {
    const { out } = partnerflowRun('mdf-request-approval', '--mock', '--event', webhookEvent);
    expect(JSON.parse(out).run).toMatchObject({ recipe: 'mdf-request-approval', correlationKey: 'MDF-1001', dedupKey: 'MDF-1001@2026-03-02T09:00:00.000Z', status: 'waiting' });
  }, 60_000);
});


describe('partnerflow run: stdout is the run as JSON, whatever the log level (review 8, F5)', () => {
  it("a run that fails prints only the run and its journal on stdout, as JSON (| jq works), and the engine's warnings on stderr", () => {
    const submitted = JSON.parse(readFileSync(webhookEvent, 'utf8')) as { event: string; data: Record<string, unknown> };
    // An MDF number the simulated PRM does not hold: the first step's read answers 404 and the run fails.
    const unknown = eventFile({ event: submitted.event, data: { ...submitted.data, mdfNumber: 'MDF-9999' } });
    const { LOG_LEVEL: _level, ...env } = process.env;
    const result = spawnSync(process.execPath, [join(root, 'bin/partnerflow.js'), 'run', 'mdf-request-approval', '--mock', '--event', unknown], { cwd: root, encoding: 'utf8', env, timeout: 90_000 });
    expect(result.status).toBe(1);
    const printed = JSON.parse(result.stdout) as { run: { status: string; error: { message: string } } };
    expect(printed.run.status).toBe('failed');
    expect(printed.run.error.message).toContain('no MDF request numbered MDF-9999');
    expect(result.stderr).toContain('run failed');
  }, 60_000);
});
