import { html } from 'hono/html';
import { layout, notice, type Html, type PageFrame } from './console-layout.ts';

/** The console's login: one field, the operator token (PARTNERFLOW_API_TOKEN). */
export function loginPage(frame: PageFrame, d: { nonce: string; next: string; error?: string | undefined }): Html {
  return layout(
    'Log in',
    frame,
    html`${d.error ? notice('error', d.error) : ''}
<form method="post" action="/console/login" class="stack">
<input type="hidden" name="csrf" value="${d.nonce}">
<input type="hidden" name="next" value="${d.next}">
<p><label>Operator token <input name="token" type="password" autocomplete="current-password" required size="40" aria-describedby="token-help"></label></p>
<p id="token-help" class="muted">The runtime's PARTNERFLOW_API_TOKEN, the one the runs API takes as a bearer token.</p>
<button type="submit" class="primary">Log in</button>
</form>`,
  );
}

/** A refused request as a page: what happened and what to do (a forged or stale form, an unknown run). */
export function refusedPage(frame: PageFrame, title: string, text: string | Html, back?: { href: string; label: string }): Html {
  return layout(title, frame, html`${notice('error', text)}${back ? html`<p><a href="${back.href}">${back.label}</a></p>` : ''}`);
}
