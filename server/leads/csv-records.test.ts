import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, readCsvRecords } from './csv-records.ts';

describe('readCsvRecords (RFC 4180, written here: no CSV package is installed)', () => {
  it('reads commas, quotes, doubled quotes and line breaks inside quotes, with the line each record starts on', () => {
    const text = 'a,b,c\r\n"x, y","say ""hi""","two\nlines"\nlast,,\n';
    expect(readCsvRecords(text)).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['x, y', 'say "hi"', 'two\nlines'] },
      { line: 4, fields: ['last', '', ''] },
    ]);
  });

  it('drops a UTF-8 byte order mark, skips blank lines, reads a last line without a line break', () => {
    expect(readCsvRecords('\uFEFFemail\n\nA@x.example')).toEqual([
      { line: 1, fields: ['email'] },
      { line: 3, fields: ['A@x.example'] },
    ]);
  });

  it('refuses a quote never closed, naming the line it opens on', () => {
    expect(() => readCsvRecords('a,b\n1,"open\n2,3\n')).toThrow(new CsvSyntaxError(2, 'a quoted field is never closed (a " opens it here and no " ends it)'));
  });

  it('refuses a stray quote in an unquoted field and text after a closing quote, naming the line', () => {
    expect(() => readCsvRecords('a\nab"c\n')).toThrow(/^line 2: a " inside a field/);
    expect(() => readCsvRecords('a\n"ab"c\n')).toThrow(/^line 2: text after a closing quote/);
  });

  it('keeps an empty quoted field as a record', () => {
    expect(readCsvRecords('""\n')).toEqual([{ line: 1, fields: [''] }]);
  });

  it('reads spaces or tabs before an opening quote and after a closing quote as padding outside the field (hand-written ", " between quoted fields)', () => {
    expect(readCsvRecords('"a" , "b",\t"c"\t\n')).toEqual([{ line: 1, fields: ['a', 'b', 'c'] }]);
  });
});
