import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EmailTemplates, parseTemplate } from './email-templates.ts';

describe('email templates saved with a UTF-8 byte order mark (a Windows editor)', () => {
  it('render as the same template without it: the mark reaches neither the subject nor the front matter check', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'templates-'));
    try {
      writeFileSync(join(dir, 'bom.txt'), '\uFEFF---\r\nsubject: We received {{ request.mdfNumber }}\r\n---\r\nHello {{ partner.name }} team,\r\n');
      const email = await new EmailTemplates(dir).render('bom', { request: { mdfNumber: 'MDF-1001' }, partner: { name: 'Adatum' } });
      expect(email.subject).toBe('We received MDF-1001');
      expect(email.text).toBe('Hello Adatum team,\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a template that does not parse is named where its author wrote it (review10)', () => {
  const parse = (source: string) => () => parseTemplate(source, 'recipes/email-templates/weekly.txt');

  it('names the line and the placeholder as written, {{ … }} (not a recipe expression {% … %})', () => {
    expect(parse('---\nsubject: Weekly {{ at }}\n---\nHello,\n\nTotal {{ $sum(x.) }}\n')).toThrow(
      'recipes/email-templates/weekly.txt:6: {{ $sum(x.) }}: The symbol ")" cannot be used as a unary operator at position 8',
    );
    expect(parse('---\nsubject: Weekly {{ at + }}\n---\nHello\n')).toThrow('recipes/email-templates/weekly.txt:2: {{ at + }}: Unexpected end of expression at position 4');
  });

  it('refuses a placeholder without its closing braces, which every recipient would get as written', () => {
    expect(parse('---\nsubject: Weekly {{ at }\n---\nHello\n')).toThrow('recipes/email-templates/weekly.txt:2: "{{" without its "}}": a placeholder is written {{ … }}');
    expect(parse('---\nsubject: Weekly\n---\nHello {{ name }},\n\nbye {{ sender\n')).toThrow('recipes/email-templates/weekly.txt:6: "{{" without its "}}": a placeholder is written {{ … }}');
  });
});
