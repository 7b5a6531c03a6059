import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EmailTemplates } from './email-templates.ts';

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
