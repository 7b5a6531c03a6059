/** The key under which a record holds a field: Salesforce field names are case-insensitive. */
export function keyOf(record: Record<string, unknown>, name: string): string | undefined {
  if (name in record) return name;
  const lower = name.toLowerCase();
  return Object.keys(record).find((k) => k.toLowerCase() === lower);
}
