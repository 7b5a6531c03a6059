import type { Context } from 'hono';
import type { AppEnv } from './app.ts';
import { jsonError } from './errors.ts';
import { readBodyWithLimit } from './read-body.ts';

/** Reads the small JSON body of a `/_mock` route (4096 bytes at most), or answers the error: 413 too large, 400 not JSON. */
export async function readMockJson(c: Context<AppEnv>): Promise<{ ok: true; json: unknown } | { ok: false; response: Response }> {
  const body = await readBodyWithLimit(c, 4096);
  if (!body.ok) return { ok: false, response: jsonError(c, 413, 'the body is larger than 4096 bytes') };
  try {
    return { ok: true, json: JSON.parse(new TextDecoder().decode(body.bytes)) };
  } catch (error) {
    return { ok: false, response: jsonError(c, 400, 'the body is not valid JSON', [{ path: '$', message: (error as Error).message }]) };
  }
}
