import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { displayFolder, displayPath } from '../../server/find-files.ts';
import { isExpression } from '../../server/engine/expression.ts';
import type { ActionInputContext, ActionInputProblem } from '../kit/define-connector.ts';
import { EmailConfig } from './email-config.ts';
import { isTemplateName, parseTemplate } from './email-templates.ts';
import { templateNames, type TemplateNames } from './template-names.ts';

/**
 * The `checkInput` of actions that render a template (`email.send`, `approval.request`): a literal
 * `template` must name a file of the email connector's templates folder, the one `EmailTemplates`
 * reads, so a misspelt name fails `validate` and the start instead of the run that reaches the step.
 * Then each name the template reads must be a key of the step's literal `data` (or one of `added`, the
 * names the action adds itself): a missing one renders as nothing, so a renamed or misspelt key would
 * only show as a blank in an email a partner reads (template-names.ts says which names count).
 *
 * @param added names the action puts into the template's data besides the step's `data`
 */
export function checkTemplateInput(input: unknown, context: ActionInputContext, step?: { id: string }, added: readonly string[] = []): ActionInputProblem[] {
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
  const parsed = parsedTemplate(context, join(dir, `${template}.txt`));
  if ('problem' in parsed) return [{ path: ['template'], message: `email template "${template}" cannot be used: ${parsed.problem}` }];
  return missingData(template, parsed.names, (input as { data?: unknown }).data, step, added);
}

/**
 * The names the template reads and neither the step's `data` nor the action gives. Data written as
 * one expression (`{% … %}`) has keys known only at run time: nothing is judged then. A data key the
 * template does not read is no problem: a template may show less than it is given.
 */
function missingData(template: string, names: TemplateNames, data: unknown, step: { id: string } | undefined, added: readonly string[]): ActionInputProblem[] {
  // A missing `data` is {} (the input schema's default); a value that is not an object is the schema's to refuse.
  const given = data === undefined ? {} : data;
  if (given === null || typeof given !== 'object' || Array.isArray(given)) return [];
  const keys = [...Object.keys(given), ...added];
  const who = step ? `step "${step.id}"` : 'the trigger';
  return names.required
    .filter((name) => !keys.includes(name))
    .map((name) => ({
      path: ['data'],
      message: `${who} renders email template "${template}", which reads "${name}", but the step's data has no "${name}": the email would show a blank there`,
      unknownName: { name, known: keys },
    }));
}

/** Each template file is parsed (and its names found) once per recipe check. */
const parsedByContext = new WeakMap<ActionInputContext, Map<string, { names: TemplateNames } | { problem: string }>>();

function parsedTemplate(context: ActionInputContext, file: string): { names: TemplateNames } | { problem: string } {
  let byFile = parsedByContext.get(context);
  if (!byFile) parsedByContext.set(context, (byFile = new Map()));
  let found = byFile.get(file);
  if (!found) {
    try {
      found = { names: templateNames(parseTemplate(readFileSync(file, 'utf8'), displayPath(file))) };
    } catch (error) {
      found = { problem: (error as Error).message };
    }
    byFile.set(file, found);
  }
  return found;
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
