import { readFile } from 'node:fs/promises';
import type { Command } from './main.ts';

/**
 * `partnerflow import leads <file.csv>`: posts a booth-scan CSV to a running runtime's
 * `POST /imports/leads` (D22) and prints its report. It posts rather than importing on its own: the
 * import becomes a run that the runtime's worker carries through Marketo outages, which a command
 * that exits could not.
 */
export const importCommand: Command = {
  usage: `Usage: partnerflow import leads <file.csv> [--url http://127.0.0.1:3000]

Posts the CSV (UTF-8; header email,first_name,last_name,company,phone,opted_in,crm_partner_id,event,visited_on)
to POST <url>/imports/leads of a running runtime, with Authorization: Bearer $PARTNERFLOW_API_TOKEN when
it is set, and prints the report (accepted rows, refused rows with their row number and reason, rows
imported but not opted in, the lead-import run). Exit 0 when the file was accepted (even with refused
rows: they are in the report), 1 when it was refused whole or every row was refused, the runtime could not be reached, or the
file was imported before and that import's run failed (it says how to resume it), 2 for bad arguments.
  --url   the runtime's base URL (default $PARTNERFLOW_URL, else http://127.0.0.1:3000)`,
  options: { url: { type: 'string' } },
  async run({ values, positionals }) {
    if (positionals[0] !== 'leads' || positionals.length !== 2) {
      console.error(`partnerflow import: give "leads <file.csv>"\n\n${importCommand.usage}`);
      return 2;
    }
    const file = positionals[1]!;
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch (error) {
      console.error(`partnerflow import: cannot read ${file}: ${(error as Error).message}`);
      return 2;
    }
    const base = String(values.url ?? process.env.PARTNERFLOW_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
    // A bad argument, not a runtime that is down: `--url garbage` said "no runtime answered at garbage".
    if (!URL.canParse(base) || !/^https?:$/.test(new URL(base).protocol)) {
      console.error(`partnerflow import: ${values.url !== undefined ? '--url' : 'PARTNERFLOW_URL'} must be the runtime's base URL, http(s)://<host>[:<port>], e.g. http://127.0.0.1:3000; got ${JSON.stringify(base)}`);
      return 2;
    }
    // Read as the runtime reads it (config.ts): a secret file's trailing newline is not part of the token.
    const token = process.env.PARTNERFLOW_API_TOKEN?.trim();
    let res: Response;
    try {
      res = await fetch(`${base}/imports/leads`, { method: 'POST', headers: { 'content-type': 'text/csv', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body });
    } catch (error) {
      console.error(`partnerflow import: no runtime answered at ${base} (${(error as Error).message}); start one (npm start) or give --url`);
      return 1;
    }
    const text = await res.text();
    // Not the runtime's import (a page of the console, another server on that port): its answer is no
    // report, and dumping a whole HTML page says nothing. The runtime answers JSON, also when it refuses.
    if (!isJson(text)) {
      const type = res.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
      const what = type === 'text/html' || /^\s*</.test(text) ? 'an HTML page' : text.trim() === '' ? 'no body' : `a body that is not JSON`;
      const origin = new URL(base).origin;
      const hint = origin !== base ? `, e.g. --url ${origin}` : ' (its GET /healthz answers {"status":"ok",…})';
      // A success that is no report: not the runtime. An error page: a proxy before it may have answered.
      const why = res.ok
        ? `it is not the runtime's lead import (POST /imports/leads under the runtime's base URL); give --url the runtime's base URL${hint}`
        : `a proxy before the runtime (is the runtime up?) or a server that is not the runtime answered; --url must be the runtime's base URL${hint}`;
      console.error(`partnerflow import: ${file} was not imported: ${base}/imports/leads answered HTTP ${res.status} with ${what}, not an import report: ${why}`);
      return 1;
    }
    if (res.status === 202) {
      console.log(text);
      const report = JSON.parse(text) as { accepted: number; refused: unknown[]; not_opted_in: unknown[]; run_id: string | null; already_imported?: boolean; run_status?: string | null; run_error?: string | null };
      const rows = (n: number) => `${n} row${n === 1 ? '' : 's'}`;
      if (report.already_imported) {
        // The same file again imports nothing: what counts is how its first import went.
        console.error(`${file}: imported before, nothing imported again; run ${report.run_id} is ${report.run_status ?? 'unknown'} (GET ${base}/runs/${report.run_id})${report.run_error ? `: ${report.run_error}` : ''}`);
        return report.run_status === 'failed' ? 1 : 0;
      }
      console.error(`${file}: ${rows(report.accepted)} accepted, ${report.refused.length} refused, ${report.not_opted_in.length} imported but not opted in${report.run_id ? `; run ${report.run_id} (GET ${base}/runs/${report.run_id})` : ''}`);
      // Every row refused: a script (or ops) reading exit 0 would take the import for done.
      if (report.accepted === 0) {
        console.error(`${file}: nothing was imported: fix the refused rows (above) and import the file again`);
        return 1;
      }
      return 0;
    }
    console.error(`partnerflow import: ${file} refused (HTTP ${res.status}): ${text}`);
    return 1;
  },
};

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
