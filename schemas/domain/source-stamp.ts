/**
 * A source system's stamp as epoch milliseconds, so stamps written in different forms compare:
 * the PRM's ISO time (`2026-03-02T09:00:00.000Z`) or its zone-less `2026-03-02 09:00:00`, Salesforce's
 * `2026-03-02T09:00:00.000+0000`, or a number already in milliseconds. A stamp without a zone is UTC
 * (the PRM writes UTC without saying so), never the runtime's local time. Undefined when it is no time.
 */
export function stampMillis(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const iso = value.trim().replace(/^(\d{4}-\d{2}-\d{2}) (?=\d{2}:)/, '$1T');
  const zoned = /T[\d:.]+$/.test(iso) ? `${iso}Z` : iso.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? undefined : ms;
}
