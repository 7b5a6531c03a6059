import { readdirSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { isExpression } from '../../server/engine/expression.ts';
import type { ActionInputContext, ActionInputProblem } from '../kit/define-connector.ts';
import { EmailConfig } from './email-config.ts';
import { isTemplateName } from './email-templates.ts';

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
  const fromHere = relative(process.cwd(), dir);
  const shown = fromHere === '' ? '.' : fromHere.startsWith('..') ? dir : fromHere;
  let known: string[];
  try {
    known = listedTemplates(context, dir);
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read: ${(error as Error).message}`;
    return [{ path: ['template'], message: `no email template "${template}": the templates folder ${shown} (EMAIL_TEMPLATES_DIR) ${why}` }];
  }
  if (known.includes(template)) return [];
  return [{ path: ['template'], message: `no email template "${template}" in ${shown}`, unknownName: { name: template, known } }];
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
