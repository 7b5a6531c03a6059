/**
 * The simulated mailbox's messages sent to an address (in To or Cc, any letter case), or all of them
 * without one: `GET /_mock/mailbox?to=` and the console's mailbox page.
 */
export function mailboxTo<M>(messages: readonly M[], to: string | undefined): M[] {
  const address = to?.trim().toLowerCase() || undefined;
  return messages.filter((m) => address === undefined || addressesOf(m).includes(address));
}

/** The lower-cased recipients (to and cc) of a simulated email, whatever else it carries. */
function addressesOf(message: unknown): string[] {
  const m = message as { to?: unknown; cc?: unknown };
  const list = (v: unknown) => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []).filter((x): x is string => typeof x === 'string');
  return [...list(m.to), ...list(m.cc)].map((a) => a.toLowerCase());
}
