import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

/** What a console page template returns: hono's escaped HTML (every `${value}` in `html` is escaped). */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** The pages in the console's navigation, in order; the mock-only ones appear in mock mode. */
const NAV: Array<{ id: NavId; href: string; label: string; mockOnly?: boolean }> = [
  { id: 'runs', href: '/console/runs', label: 'Runs' },
  { id: 'waiting', href: '/console/waiting', label: 'Waiting' },
  { id: 'timers', href: '/console/timers', label: 'Timers' },
  { id: 'recipes', href: '/console/recipes', label: 'Recipes' },
  { id: 'mailbox', href: '/console/mailbox', label: 'Mailbox', mockOnly: true },
  { id: 'clock', href: '/console/clock', label: 'Clock', mockOnly: true },
];

export type NavId = 'runs' | 'waiting' | 'timers' | 'recipes' | 'mailbox' | 'clock' | 'login' | 'none';

/** What every page's frame needs: where the user is, whether this is the mock runtime, the session's CSRF token. */
export interface PageFrame {
  current: NavId;
  mock: boolean;
  /** Null on the login page and when nobody logs in (mock mode): then no logout button. */
  csrf: string | null;
  /** True when the console needs a login (PARTNERFLOW_API_TOKEN is set). */
  loginRequired: boolean;
}

/**
 * The console's page frame: a skip link, the navigation (the current page has `aria-current`), the
 * page. Styles and the optional script are files under /console/assets: the Content-Security-Policy
 * allows no inline script or style.
 */
export function layout(title: string, frame: PageFrame, body: Html): Html {
  const items = NAV.filter((n) => !n.mockOnly || frame.mock);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Partnerflow console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/assets/console.css">
<link rel="icon" href="data:,">
<script src="/console/assets/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<span class="brand">Partnerflow${frame.mock ? html` <span class="badge">mock</span>` : ''}</span>
${
  frame.current === 'login'
    ? ''
    : html`<nav aria-label="Console"><ul>${items.map(
        (n) => html`<li><a href="${n.href}"${n.id === frame.current ? html` aria-current="page"` : ''}>${n.label}</a></li>`,
      )}</ul></nav>`
}
${frame.loginRequired && frame.csrf !== null ? html`<form class="logout" method="post" action="/console/logout">${csrfField(frame.csrf)}<button type="submit" class="link">Log out</button></form>` : ''}
</header>
<main id="main">
<h1>${title}</h1>
${body}
</main>
</body>
</html>`;
}

/** The hidden field every console form carries (checked on every POST). */
export function csrfField(token: string): Html {
  return html`<input type="hidden" name="csrf" value="${token}">`;
}

/**
 * A time as the console shows it: UTC in the text and in `title`, the ISO instant in `datetime`; the
 * optional script rewrites the text into the viewer's time zone and keeps UTC on hover.
 */
export function time(ms: number | null | undefined): Html | string {
  if (ms === null || ms === undefined) return '–';
  const iso = new Date(ms).toISOString();
  const utc = `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
  return html`<time datetime="${iso}" title="${utc}">${utc}</time>`;
}

/** A length of time in words: 850 ms, 4.2 s, 3 min 5 s, 2 h 10 min, 3 d 4 h. */
export function duration(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** A status as a badge whose text says it (the colour only repeats it). */
export function statusBadge(status: string): Html {
  return html`<span class="status status-${status}">${status}</span>`;
}

/** A value as indented JSON (already redacted by the caller). */
export function jsonBlock(value: unknown): Html {
  return html`<pre class="json">${value === undefined ? '–' : JSON.stringify(value, null, 2)}</pre>`;
}

/** A notice at the top of a page: the outcome of an action, or why it was refused. */
export function notice(kind: 'ok' | 'error', text: string | Html): Html {
  return html`<p class="notice notice-${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${text}</p>`;
}
