/**
 * English names of regions from the runtime's ICU data (Node ships full ICU): no table to maintain.
 * Made on first use: loading ICU's region names costs about 7 MB of resident memory, which a runtime
 * that never names a country (most processes, most of the time) should not carry.
 */
let englishNames: Intl.DisplayNames | undefined;

/**
 * `$countryName("PL")` → "Poland": the English name of an ISO 3166-1 alpha-2 country code, so an email
 * names a country as people do (D13: the lead reads where a flexi activity takes place). The code is
 * trimmed and compared in capitals. Anything that is not a known two-letter code gives nothing
 * (JSONata `undefined`), so a template can fall back to the code as the PRM has it.
 */
export function countryName(code: unknown): string | undefined {
  if (typeof code !== 'string') return undefined;
  const normalized = code.trim().toUpperCase();
  // ZZ is ICU's "Unknown Region", not a country.
  if (!/^[A-Z]{2}$/.test(normalized) || normalized === 'ZZ') return undefined;
  try {
    englishNames ??= new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
    return englishNames.of(normalized);
  } catch {
    return undefined;
  }
}
