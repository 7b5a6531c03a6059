import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { displayFolder, displayPath } from '../../server/find-files.ts';
import type { Choice, ValueSource } from '../../server/engine/expression-choices.ts';
import { calledFunctions, expressionNames, isExpression, KNOWN_FUNCTIONS, TEMPLATE_FUNCTIONS } from '../../server/engine/expression.ts';
import type { ActionInputContext, ActionInputProblem } from '../kit/define-connector.ts';
import { EmailConfig } from './email-config.ts';
import { readTemplate, templatesAmong, unreadableTemplatesFolder, type ParsedTemplate } from './email-templates.ts';
import { templateChoices } from './template-choices.ts';
import { templateNames, type TemplateNames } from './template-names.ts';

/**
 * The `checkInput` of actions that render a template (`email.send`, `approval.request`): a literal
 * `template` must name a file of the email connector's templates folder, the one `EmailTemplates`
 * reads, so a misspelt name fails `validate` and the start instead of the run that reaches the step.
 * A `template` written as an expression is checked the same for each name written in it that it can
 * give (template-choices.ts: `c ? 'a' : 'b'` and the like), and each name the recipe gives it before
 * the step (`context.valuesAt`: a `set` step's `$vars`, every row of a table column a lookup reads),
 * a missing one named with where it comes from; a name it reads at run time is the send's to judge. Each template must parse (every placeholder that does not, every stray `{{`, named at once), call only the functions templates have and read no `$name` nothing binds. Then each name the
 * template reads must be a key of the step's literal `data` (or one of `added`, the names the action
 * adds itself): a missing one renders as nothing, so a renamed or misspelt key would only show as a
 * blank in an email a partner reads (template-names.ts says which names count).
 *
 * @param added names the action puts into the template's data besides the step's `data`
 */
export function checkTemplateInput(input: unknown, context: ActionInputContext, step?: { id: string }, added: readonly string[] = []): ActionInputProblem[] {
  const template = (input as { template?: unknown } | null)?.template;
  if (typeof template !== 'string' || template === '') return [];
  const chosen = isExpression(template);
  const valuesAt = context.valuesAt;
  const follow = step && valuesAt ? (path: readonly string[]) => valuesAt(step, path) : undefined;
  // An empty name from a table or a variable is the send's to refuse (or a `?:` fallback's to replace).
  const choices: Choice[] = chosen ? templateChoices(template, follow).filter((c) => c.value !== '' || c.from.length === 0) : [{ value: template, from: [] }];
  if (choices.length === 0) return [];
  const names = [...new Set(choices.map((c) => c.value))];
  const config = EmailConfig.safeParse(context.config('email'));
  if (!config.success) return [];
  const dir = resolve(config.data.templatesDir);
  const shown = displayFolder(dir);
  let known: string[];
  try {
    known = listedTemplates(context, dir);
  } catch (error) {
    const which = chosen ? `the expression can choose email template ${names.map((name) => `"${name}"`).join(' or ')}, but` : `no email template "${template}":`;
    return [{ path: ['template'], message: `${which} ${unreadableTemplatesFolder(shown, error)}` }];
  }
  return names.flatMap((name): ActionInputProblem[] => {
    if (!known.includes(name)) {
      // One problem per place the name comes from: two table rows with one typo are two rows to fix.
      return choices.filter((c) => c.value === name).map(({ from }) => ({ path: ['template'], message: missingMessage(name, from, chosen, shown, step), unknownName: { name, known } }));
    }
    // It must parse too (front matter, placeholders that compile): a broken one fails every send. Each
    // problem is named, and what could be read is checked as well: one run of validate shows them all.
    const parsed = parsedTemplate(context, join(dir, `${name}.txt`));
    const broken = parsed.problems.map((problem): ActionInputProblem => ({ path: ['template'], message: `email template "${name}" cannot be used: ${problem}` }));
    if (!parsed.read) return broken;
    return [...broken, ...unknownFunctions(name, parsed.read.calls), ...unknownVariables(name, parsed.read.variables), ...missingData(name, parsed.read.names, (input as { data?: unknown }).data, step, added)];
  });
}

/**
 * A template name that names no file: as written in the step, as the expression can choose it, or as
 * a table row or an earlier `set` step gives it (`from`: where, so the user knows what to correct).
 */
function missingMessage(name: string, from: readonly ValueSource[], chosen: boolean, shown: string, step: { id: string } | undefined): string {
  if (!chosen) return `no email template "${name}" in ${shown}`;
  if (from.length === 0) return `the expression can choose "${name}", but there is no email template "${name}" in ${shown}: a run that chooses it would fail at this step`;
  const who = step ? `step "${step.id}"` : 'the trigger';
  const run = from.some((f) => f.kind === 'table') ? 'a run that reads that row' : 'a run that sends it';
  return `${who} can send email template "${name}", ${from.map((f) => f.text).join(', ')}; there is no email template "${name}" in ${shown}: ${run} would fail at this step`;
}

/**
 * A call of a function templates are not evaluated with: JSONata throws "Attempted to invoke a
 * non-function" at every send that reaches the placeholder. A function of recipes' expressions
 * (`$countryName`, `$addBusinessDays`) is named as such: its value belongs in the step's data.
 */
function unknownFunctions(template: string, calls: readonly Call[]): ActionInputProblem[] {
  return calls.map(({ name, placeholder }) =>
    KNOWN_FUNCTIONS.has(name)
      ? { path: ['template'], message: `email template "${template}" calls $${name} in ${placeholder}, which recipe expressions have but email templates do not: a send fails there; give its value in the step's data` }
      : {
          path: ['template'],
          message: `email template "${template}" calls $${name} in ${placeholder}, which is not a function in email templates: a send fails there`,
          unknownName: { name: `$${name}`, known: [...TEMPLATE_FUNCTIONS].map((known) => `$${known}`) },
        },
  );
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

/**
 * A `$name` a template reads as a value that nothing gives it: templates are evaluated with the
 * step's data as their context and functions only (no variables), so `{{ $amount }}` shows a blank in
 * every email; the data's fields are read without `$` (`{{ amount }}`). A name the placeholder binds
 * (`$x := …`, a lambda's parameter, `@$x`, `#$i`) and a function passed as a value (`$map(xs, $string)`)
 * are fine; calls are unknownFunctions' to judge.
 */
function unknownVariables(template: string, variables: readonly Call[]): ActionInputProblem[] {
  return variables.map(({ name, placeholder }) => ({
    path: ['template'],
    message: `email template "${template}" reads $${name} in ${placeholder}, which is no variable in email templates: it shows a blank in every email; a field of the step's data is read without $ (${name})`,
  }));
}

/** A function a template calls that templates do not have (or a variable it reads that nothing binds), and the placeholder (`{{ … }}`) that does. */
interface Call {
  name: string;
  placeholder: string;
}

type Parsed = { read?: { names: TemplateNames; calls: Call[]; variables: Call[] }; problems: string[] };

/** Each template file is parsed (and its names and calls found) once per recipe check. */
const parsedByContext = new WeakMap<ActionInputContext, Map<string, Parsed>>();

function parsedTemplate(context: ActionInputContext, file: string): Parsed {
  let byFile = parsedByContext.get(context);
  if (!byFile) parsedByContext.set(context, (byFile = new Map()));
  let found = byFile.get(file);
  if (!found) {
    try {
      const { template, problems } = readTemplate(readFileSync(file, 'utf8'), displayPath(file));
      found = { ...(template && { read: { names: templateNames(template), calls: unknownCalls(template), variables: unboundVariables(template) } }), problems };
    } catch (error) {
      found = { problems: [(error as Error).message] };
    }
    byFile.set(file, found);
  }
  return found;
}

/** The calls of functions that are not `TEMPLATE_FUNCTIONS` (nor defined by the template), subject first, each once per placeholder. */
function unknownCalls(template: ParsedTemplate): Call[] {
  const calls: Call[] = [];
  for (const part of [...template.subject, ...template.body]) {
    if (typeof part === 'string') continue;
    const placeholder = `{{${part.source}}}`;
    for (const name of calledFunctions(part.compiled)) {
      if (!TEMPLATE_FUNCTIONS.has(name) && !calls.some((c) => c.name === name && c.placeholder === placeholder)) calls.push({ name, placeholder });
    }
  }
  return calls;
}

/** The `$name`s each placeholder reads as a value and does not bind itself, nor is a template function, each once per placeholder. */
function unboundVariables(template: ParsedTemplate): Call[] {
  const found: Call[] = [];
  for (const part of [...template.subject, ...template.body]) {
    if (typeof part === 'string') continue;
    const placeholder = `{{${part.source}}}`;
    const { read, bound } = expressionNames(part.compiled.ast());
    for (const name of read) if (!bound.has(name) && !TEMPLATE_FUNCTIONS.has(name) && !KNOWN_FUNCTIONS.has(name)) found.push({ name, placeholder });
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
    names = templatesAmong(readdirSync(dir));
    byDir.set(dir, names);
  }
  return names;
}
