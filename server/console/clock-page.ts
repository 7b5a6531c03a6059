import { html } from 'hono/html';
import { csrfField, layout, notice, time, type Html, type PageFrame } from './console-layout.ts';

/**
 * Reads what a person types to move the clock: an ISO 8601 duration (P2D, PT36H) or a short form,
 * a number and a unit (2d, 36h, 90m, 1w; units may be combined: 1d12h). Returns the ISO duration, or
 * null when it is neither.
 */
export function durationFromInput(input: string): string | null {
  const text = input.trim();
  if (/^P/i.test(text)) return text.toUpperCase();
  const short = /^(?:(\d+)\s*w)?\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+)\s*s)?$/i.exec(text);
  if (!short || !short.slice(1).some(Boolean)) return null;
  const [, w, d, h, m, s] = short;
  const date = `${w ? `${w}W` : ''}${d ? `${d}D` : ''}`;
  const clock = `${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s ? `${s}S` : ''}`;
  return `P${date}${clock ? `T${clock}` : ''}`;
}

/** The virtual clock of the mock runtime, and a form that moves it forward (the timers due on the way fire). */
export function clockPage(frame: PageFrame, d: { now: number; csrf: string; moved?: string | undefined; error?: string | undefined; by?: string | undefined }): Html {
  return layout(
    'Clock',
    frame,
    html`${d.moved ? notice('ok', html`Moved the clock forward by ${d.moved}; the timers due on the way fired.`) : ''}${d.error ? notice('error', d.error) : ''}
<p>The mock runtime's virtual time is <strong>${time(d.now)}</strong>.</p>
<form method="post" action="/console/clock" class="filters">
${csrfField(d.csrf)}
<label>Advance by <input name="by" required value="${d.by ?? ''}" placeholder="2d, PT36H, P5D" size="14" aria-describedby="by-help"></label>
<button type="submit" class="primary">Advance the clock</button>
</form>
<p id="by-help" class="muted">An ISO 8601 duration (P2D, PT36H) or a number with a unit: 2d, 36h, 90m, 1w. The clock only goes forward. P5D covers 2 business days from any weekday (the escalation of an undecided request, D10).</p>`,
  );
}
