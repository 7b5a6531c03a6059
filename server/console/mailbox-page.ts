import { html } from 'hono/html';
import { layout, time, type Html, type PageFrame } from './console-layout.ts';

/** A simulated email as the mock mailbox (mocks/email/mailbox.ts) keeps it; read defensively, MockDeps types it unknown. */
export interface MailboxMessage {
  messageId: string;
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  text: string;
  html: string;
  tag?: string;
  sentAt: string;
}

/** The mock mailbox's messages with the fields the page shows. */
export function mailboxMessages(messages: readonly unknown[]): MailboxMessage[] {
  return messages.map((m) => {
    const r = m as Partial<MailboxMessage>;
    return { messageId: String(r.messageId ?? ''), from: String(r.from ?? ''), to: r.to ?? [], cc: r.cc ?? [], subject: String(r.subject ?? ''), text: String(r.text ?? ''), html: String(r.html ?? ''), ...(r.tag && { tag: r.tag }), sentAt: String(r.sentAt ?? '') };
  });
}

/**
 * The simulated mailbox, newest first: each email's envelope, its HTML as a recipient's mail program
 * shows it (in a sandboxed frame: the email's own styles, no script) and its text part.
 */
export function mailboxPage(frame: PageFrame, messages: MailboxMessage[], to: string | undefined): Html {
  const newest = [...messages].reverse();
  return layout(
    'Mailbox',
    frame,
    html`<p class="muted">Every email the simulated provider accepted in this mock runtime.</p>
<form class="filters" method="get" action="/console/mailbox" role="search" aria-label="Filter emails"><label>To or cc <input name="to" type="email" value="${to ?? ''}" placeholder="cmm.emea@vendor.example" size="30"></label><button type="submit" class="primary">Show</button>${to ? html`<a href="/console/mailbox">All emails</a>` : ''}</form>
${
  newest.length === 0
    ? html`<p>No email${to ? html` to ${to}` : ''} yet.</p>`
    : newest.map(
        (m) => html`<article class="mail" aria-labelledby="mail-${m.messageId}">
<h2 id="mail-${m.messageId}">${m.subject}</h2>
<dl class="facts"><dt>From</dt><dd>${m.from}</dd><dt>To</dt><dd>${m.to.join(', ')}</dd>${m.cc.length > 0 ? html`<dt>Cc</dt><dd>${m.cc.join(', ')}</dd>` : ''}<dt>Sent</dt><dd>${m.sentAt ? time(Date.parse(m.sentAt)) : '–'}</dd>${m.tag ? html`<dt>Tag</dt><dd>${m.tag}</dd>` : ''}</dl>
${m.html ? html`<details open><summary>HTML</summary><iframe title="HTML of ${m.subject}" src="/console/mailbox/${m.messageId}/html" sandbox="" loading="lazy"></iframe></details>` : ''}
<details${m.html ? '' : ' open'}><summary>Text</summary><pre>${m.text}</pre></details>
</article>`,
      )
}`,
  );
}

/**
 * The headers of an email's HTML served on its own (the mailbox page frames it): its inline styles may
 * apply, nothing else, no script, and only the console may frame it.
 */
export const EMAIL_HTML_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox",
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
};
