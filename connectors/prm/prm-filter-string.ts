/** A string literal in a PRM filter: single quotes, an embedded quote doubled (SQL style; [guess] for the real PRM). */
export function prmString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
