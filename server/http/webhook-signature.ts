import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures, the way Stripe and Slack sign theirs: an HMAC-SHA256 over `<timestamp>.<raw body>`
 * with the source's secret. The timestamp inside the signed text stops an old delivery from being
 * replayed later; the delivery id dedup stops it being replayed within the window.
 *
 *   X-Partnerflow-Timestamp: 1767603600
 *   X-Partnerflow-Signature: sha256=5d1f…
 */
export const TIMESTAMP_HEADER = 'x-partnerflow-timestamp';
export const SIGNATURE_HEADER = 'x-partnerflow-signature';
/** How far a timestamp may be from the server's clock, either way. */
export const SIGNATURE_TOLERANCE_MS = 5 * 60 * 1000;

export function computeSignature(secret: string, body: string | Uint8Array, timestampSeconds: number | string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest('hex');
}

/** The headers that sign `body` (tests, the harness, the benchmark, the README's curl example). */
export function signWebhook(secret: string, body: string, timestampSeconds: number): Record<typeof TIMESTAMP_HEADER | typeof SIGNATURE_HEADER, string> {
  return {
    [TIMESTAMP_HEADER]: String(timestampSeconds),
    [SIGNATURE_HEADER]: `sha256=${computeSignature(secret, body, timestampSeconds)}`,
  };
}

/** A complete signed delivery to `POST /webhooks/<source>`, as a sender builds it (harness, mock PRM, demo). */
export function signedDelivery(input: { secret: string; deliveryId: string; event: string; data: unknown; timestampSeconds: number }): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ id: input.deliveryId, event: input.event, data: input.data });
  return { body, headers: { 'content-type': 'application/json', ...signWebhook(input.secret, body, input.timestampSeconds) } };
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks a delivery's signature headers against its raw body. `now` lists the clock readings a
 * timestamp may be near (the engine's clock; in mock mode also the wall clock, see webhooks.ts).
 */
export function verifyWebhookSignature(input: {
  secret: string;
  body: Uint8Array;
  timestamp: string | undefined;
  signature: string | undefined;
  now: readonly number[];
}): SignatureCheck {
  const { timestamp, signature } = input;
  if (!timestamp) return { ok: false, reason: 'missing X-Partnerflow-Timestamp header' };
  if (!signature) return { ok: false, reason: 'missing X-Partnerflow-Signature header' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'X-Partnerflow-Timestamp must be unix time in seconds' };
  const sentAt = Number(timestamp) * 1000;
  if (!input.now.some((now) => Math.abs(now - sentAt) <= SIGNATURE_TOLERANCE_MS)) {
    return { ok: false, reason: 'X-Partnerflow-Timestamp is more than 5 minutes away from the server clock (a replayed or delayed delivery, or a skewed clock)' };
  }
  const match = /^sha256=([0-9a-f]{64})$/i.exec(signature.trim());
  if (!match) return { ok: false, reason: 'X-Partnerflow-Signature must look like sha256=<64 hex digits>' };
  const expected = Buffer.from(computeSignature(input.secret, input.body, timestamp), 'hex');
  const given = Buffer.from(match[1]!.toLowerCase(), 'hex');
  if (!timingSafeEqual(expected, given)) {
    // A sender signing the body alone (a common scheme elsewhere) has the right secret: it is told what to sign.
    if (timingSafeEqual(createHmac('sha256', input.secret).update(input.body).digest(), given)) {
      return { ok: false, reason: 'signature does not match the body: it is of the body alone; sign `<timestamp>.<body>` (X-Partnerflow-Timestamp, a dot, then the body as sent) with HMAC-SHA256' };
    }
    return { ok: false, reason: 'signature does not match the body (wrong secret, or the body was changed)' };
  }
  return { ok: true };
}
