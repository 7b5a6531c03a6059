import type { Hono } from 'hono';

/**
 * Test support for the console suites: a browser's cookie jar and form posts over `app.request`,
 * and what a user reads on a page (its text without tags, the run ids it links to).
 */
export class ConsoleBrowser {
  readonly cookies = new Map<string, string>();

  constructor(readonly app: Hono) {}

  #remember(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const [name, ...value] = pair!.split('=');
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired) this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value.join('='));
    }
  }

  #cookieHeader(): Record<string, string> {
    return this.cookies.size === 0 ? {} : { cookie: [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ') };
  }

  async get(path: string): Promise<Response> {
    const res = await this.app.request(path, { headers: this.#cookieHeader() });
    this.#remember(res);
    return res;
  }

  async post(path: string, form: Record<string, string>): Promise<Response> {
    const res = await this.app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...this.#cookieHeader() },
      body: new URLSearchParams(form).toString(),
    });
    this.#remember(res);
    return res;
  }

  /** The CSRF token of the forms on a page (the hidden field every console form carries). */
  async csrfOf(path: string): Promise<string> {
    const page = await (await this.get(path)).text();
    const token = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
    if (!token) throw new Error(`no CSRF field on ${path}`);
    return token;
  }
}

/** A page's text as a user reads it: tags dropped, entities decoded, spaces collapsed. */
export function textOf(html: string): string {
  return html
    .replace(/<head>[\s\S]*?<\/head>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The run ids a page links to, in page order, once each. */
export function runIdsOn(html: string): string[] {
  return [...new Set([...html.matchAll(/href="\/console\/runs\/(run_[a-z0-9]+)"/g)].map((m) => m[1]!))];
}
