/**
 * A small RFC 4180 CSV reader. No CSV package is installed (and helpers add no dependency), so this
 * one reads exactly what the lead import needs: fields separated by commas, records by CRLF or LF,
 * fields in double quotes may hold commas, line breaks and `""` (a quote), and spaces or tabs around
 * the quotes are padding, dropped; a UTF-8 byte order mark at the start is dropped. Each record
 * carries the line it starts on, so a refusal can name it.
 */

/** One record: its fields and the 1-based line of the file it starts on. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/** A file that is not CSV at some place: nothing of it should be used. */
export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvSyntaxError';
  }
}

/** Every record of the text, in order; blank lines (outside quotes) are skipped. */
export function readCsvRecords(text: string): CsvRecord[] {
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  while (i < src.length) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    let quoteLine = line;
    let atFieldStart = true;
    let justClosed = false;
    for (;;) {
      if (i >= src.length) {
        if (quoted) throw new CsvSyntaxError(quoteLine, 'a quoted field is never closed (a " opens it here and no " ends it)');
        break;
      }
      const c = src[i]!;
      if (quoted) {
        if (c === '"') {
          if (src[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          quoted = false;
          justClosed = true;
          i += 1;
          continue;
        }
        if (c === '\n') line += 1;
        field += c;
        i += 1;
        continue;
      }
      if (c === ',') {
        fields.push(field);
        field = '';
        atFieldStart = true;
        justClosed = false;
        i += 1;
        continue;
      }
      if (c === '\r' && src[i + 1] === '\n') i += 1;
      if (c === '\n' || (c === '\r' && src[i] === '\n') || c === '\r') {
        i += 1;
        line += 1;
        break;
      }
      // Spaces or tabs after a closing quote are padding outside the field (`"Mia" ,`), as hand-written
      // and script-written files put them; only other text there is not CSV.
      if (justClosed && (c === ' ' || c === '\t')) {
        i += 1;
        continue;
      }
      if (justClosed) throw new CsvSyntaxError(line, `text after a closing quote (${JSON.stringify(c)}): a quoted field ends at its quote, then a comma or the end of the line`);
      if (c === '"') {
        // Spaces or tabs before the opening quote (`, "Wong"`) are padding too, dropped.
        if (!atFieldStart && !/^[ \t]+$/.test(field)) throw new CsvSyntaxError(line, 'a " inside a field that does not start with one: quote the whole field and double the quote ("")');
        field = '';
        quoted = true;
        quoteLine = line;
        atFieldStart = false;
        i += 1;
        continue;
      }
      atFieldStart = false;
      field += c;
      i += 1;
    }
    fields.push(field);
    if (fields.length === 1 && fields[0] === '' && !justClosed) continue; // a blank line
    records.push({ line: start, fields });
  }
  return records;
}
