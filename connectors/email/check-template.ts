import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { displayFolder, displayPath } from '../../server/find-files.ts';
import { isExpression } from '../../server/engine/expression.ts';
import type { ActionInputContext, ActionInputProblem } from '../kit/define-connector.ts';
import { EmailConfig } from './email-config.ts';
import { isTemplateName, parseTemplate } from './email-templates.ts';

/**
 * The `checkInput` of actions that render a template (`email.send`, `approval.request`): a literal
 * `template` must name a file of the email connector's templates folder, the one `EmailTemplates`
 * reads, so a misspelt name fails `validate` and the start instead of the run that reaches the step.
 */
export function checkTemplateInput(input: unknown, context: ActionInputContext): ActionInputProblem[] {
  const template = (input as { template?: unknown } | null)?.template;
  if (typeof template !== 'string' || template === '' || isExpression(template)) return [];
  const config = EmailConfig.safeParse(context.config('email'));
  if (!config.success) return [];
  const dir = resolve(config.data.templatesDir);
  const shown = displayFolder(dir);
  let known: string[];
  try {
    known = listedTemplates(context, dir);
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read: ${(error as Error).message}`;
    return [{ path: ['template'], message: `no email template "${template}": the templates folder ${shown} (EMAIL_TEMPLATES_DIR) ${why}` }];
  }
  if (!known.includes(template)) return [{ path: ['template'], message: `no email template "${template}" in ${shown}`, unknownName: { name: template, known } }];
  // It must parse too (front matter, placeholders that compile): a broken one fails every send.
  const broken = parseProblem(context, join(dir, `${template}.txt`));
  return broken ? [{ path: ['template'], message: `email template "${template}" cannot be used: ${broken}` }] : [];
}

/** Each template file is parsed once per recipe check. */
const parsed = new WeakMap<ActionInputContext, Map<string, string | null>>();

function parseProblem(context: ActionInputContext, file: string): string | null {
  let byFile = parsed.get(context);
  if (!byFile) parsed.set(context, (byFile = new Map()));
  if (!byFile.has(file)) {
    let problem: string | null = null;
    try {
      parseTemplate(readFileSync(file, 'utf8'), displayPath(file));
    } catch (error) {
      problem = (error as Error).message;
    }
    byFile.set(file, problem);
  }
  return byFile.get(file)!;
}

/** The folder is read once per recipe check, not once per step that names a template. */
const listings = new WeakMap<ActionInputContext, Map<string, string[]>>();

function listedTemplates(context: ActionInputContext, dir: string): string[] {
  let byDir = listings.get(context);
  if (!byDir) listings.set(context, (byDir = new Map()));
  let names = byDir.get(dir);
  if (!names) {
    names = readdirSync(dir)
      .filter((file) => file.endsWith('.txt'))
      .map((file) => file.slice(0, -'.txt'.length))
      .filter(isTemplateName)
      .sort();
    byDir.set(dir, names);
  }
  return names;
}
