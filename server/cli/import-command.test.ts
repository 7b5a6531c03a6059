import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { importCommand } from './import-command.ts';

/** Runs `partnerflow import leads <file>` against a runtime that answers `report` with 202; returns the exit code and stderr. */
async function importAnswered(report: Record<string, unknown>): Promise<{ code: number; stderr: string; file: string }> {
  const file = join(await mkdtemp(join(tmpdir(), 'partnerflow-import-')), 'scans.csv');
  await writeFile(file, 'email,first_name,last_name,company,phone,opted_in,crm_partner_id,event,visited_on\n');
  const lines: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((line: string) => void lines.push(line));
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.stubGlobal('fetch', async () => new Response(JSON.stringify(report), { status: 202 }));
  const code = await importCommand.run({ values: { url: 'http://runtime.test' }, positionals: ['leads', file] } as never);
  return { code: code as number, stderr: lines.join('\n'), file };
}

const REPORT = { import_id: 'abc', run_id: 'run_1', already_imported: false, accepted: 1, refused: [], not_opted_in: [], batches: 1, to_route: 0, run_status: 'queued', run_error: null };

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('partnerflow import leads (D22)', () => {
  it('D22: a file posted again whose import failed is not reported as accepted: it says the run failed, how to resume it, and exits 1', async () => {
    const error = 'the first import of this file failed at batches[0].upsert: marketo 500; nothing was imported again: resume it with POST /runs/run_1/retry';
    const { code, stderr, file } = await importAnswered({ ...REPORT, already_imported: true, accepted: 3, run_status: 'failed', run_error: error });
    expect(code).toBe(1);
    expect(stderr).toBe(`${file}: imported before, nothing imported again; run run_1 is failed (GET http://runtime.test/runs/run_1): ${error}`);
  });

  it('a file posted again whose import completed exits 0, saying nothing was imported again', async () => {
    const { code, stderr } = await importAnswered({ ...REPORT, already_imported: true, run_status: 'completed' });
    expect(code).toBe(0);
    expect(stderr).toContain('imported before, nothing imported again; run run_1 is completed');
  });

  it('prints for a file imported again what the README walkthrough shows', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const shown = readme.split('\n').find((line) => line.includes('# scans.csv: imported before'));
    expect(shown, 'the README shows the repeated import').toBeDefined();
    const { stderr, file } = await importAnswered({ ...REPORT, already_imported: true, run_id: 'run_…', run_status: 'completed' });
    const printed = stderr.replace(file, 'scans.csv').replaceAll('http://runtime.test', 'http://127.0.0.1:3000');
    expect(shown!.replace(/^\s*# /, '')).toBe(printed);
  });

  it('says "1 row accepted", not "1 rows"', async () => {
    const { code, stderr } = await importAnswered(REPORT);
    expect(code).toBe(0);
    expect(stderr).toContain(': 1 row accepted, 0 refused');
  });

  it('D22: a file whose every row is refused exits 1 saying nothing was imported (a script must not read it as done)', async () => {
    const { code, stderr } = await importAnswered({ ...REPORT, run_id: null, accepted: 0, batches: 0, refused: [{ row: 1, line: 2, reason: 'phone is missing' }, { row: 2, line: 3, reason: 'phone is missing' }], run_status: null });
    expect(code).toBe(1);
    expect(stderr).toContain(': 0 rows accepted, 2 refused');
    expect(stderr).toContain('nothing was imported: fix the refused rows (above) and import the file again');
  });

  it('refuses a --url that is no http(s) URL as a bad argument (exit 2), rather than saying no runtime answered there, and posts nothing', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'partnerflow-import-')), 'scans.csv');
    await writeFile(file, 'email,first_name,last_name,company,phone,opted_in,crm_partner_id,event,visited_on\n');
    const lines: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => void lines.push(line));
    const fetched = vi.fn();
    vi.stubGlobal('fetch', fetched);
    for (const url of ['garbage', '127.0.0.1:3000', 'ftp://127.0.0.1']) {
      lines.length = 0;
      const code = await importCommand.run({ values: { url }, positionals: ['leads', file] } as never);
      expect(code, url).toBe(2);
      expect(lines, url).toEqual([`partnerflow import: --url must be the runtime's base URL, http(s)://<host>[:<port>], e.g. http://127.0.0.1:3000; got ${JSON.stringify(url)}`]);
    }
    expect(fetched).not.toHaveBeenCalled();
  });

  it('given the URL of a page that answers HTML 200 (the console), says in one line that it is not the import endpoint and what URL to give, without the page', async () => {
    const page = '<!doctype html><html><head><title>Partnerflow console: sign in</title></head><body><form method="post">…</form></body></html>';
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const file = join(await mkdtemp(join(tmpdir(), 'partnerflow-import-')), 'scans.csv');
      await writeFile(file, 'email,first_name,last_name,company,phone,opted_in,crm_partner_id,event,visited_on\n');
      const lines: string[] = [];
      vi.spyOn(console, 'error').mockImplementation((line: string) => void lines.push(line));
      vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
      const code = await importCommand.run({ values: { url: `${base}/console` }, positionals: ['leads', file] } as never);
      expect(code).toBe(1);
      expect(lines).toEqual([
        `partnerflow import: ${file} was not imported: ${base}/console/imports/leads answered HTTP 200 with an HTML page, not an import report: it is not the runtime's lead import (POST /imports/leads under the runtime's base URL); give --url the runtime's base URL, e.g. --url ${base}`,
      ]);
    } finally {
      server.close();
    }
  });
});
