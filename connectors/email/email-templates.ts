import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { compileExpression, MONEY_FUNCTIONS, type ExpressionError } from '../../server/engine/expression.ts';
import { plainEvaluatorOf, UNSURE, type PlainEvaluator } from '../../server/engine/plain-expression.ts';
import { withoutByteOrderMark } from '../../server/byte-order-mark.ts';
import { didYouMean } from '../../server/recipes/closest-name.ts';
import type { RenderedEmail } from './email-connection.ts';

/**
 * Email templates that ops edit beside the recipes: `<templatesDir>/<name>.txt`, a front matter with the
 * subject, then the text body. `{{ … }}` holds a JSONata expression over the data the step passes (the
 * same expression language as recipes, so there is no second syntax and no user JavaScript):
 *
 *     ---
 *     subject: We received your MDF request {{ request.mdfNumber }}
 *     ---
 *     Hello {{ partner.name }} team, ...
 *
 * The HTML part is the rendered text, escaped, with links made clickable: data that partners typed
 * can never inject markup.
 */
export class TemplateError extends Error {
  override name = 'TemplateError';
  /** A template that is missing or broken will not fix itself: retrying the step is pointless. */
  readonly retryable = false;
}

/** Literal text, or a placeholder compiled once at load so a send only evaluates it. */
type Part = string | { source: string; compiled: ReturnType<typeof compileExpression>; plain: PlainEvaluator | null };

/** A template as `parseTemplate` reads it: the subject's and the body's literal text and placeholders. */
export interface ParsedTemplate {
  subject: Part[];
  body: Part[];
}

const NAME = /^[a-z0-9][a-z0-9-]{0,99}$/;

/** What `render` accepts as a template name: a file named otherwise (`Foo.txt`) is no template. */
export function isTemplateName(name: string): boolean {
  return NAME.test(name);
}
/** The templates among a folder's file names (`<name>.txt`, a template name), sorted. */
export function templatesAmong(files: readonly string[]): string[] {
  return files
    .filter((file) => file.endsWith('.txt'))
    .map((file) => file.slice(0, -'.txt'.length))
    .filter(isTemplateName)
    .sort();
}

const PLACEHOLDER = /\{\{([\s\S]*?)\}\}/g;

export class EmailTemplates {
  readonly dir: string;
  readonly #cache = new Map<string, Promise<ParsedTemplate>>();

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** Renders a template with the data; a missing value renders as an empty string. */
  async render(name: string, data: Record<string, unknown>): Promise<RenderedEmail> {
    const template = await this.#load(name);
    const subject = (await fill(template.subject, data, name)).replace(/\s+/g, ' ').trim();
    const text = await fill(template.body, data, name);
    return { subject, text, html: textToHtml(text) };
  }

  #load(name: string): Promise<ParsedTemplate> {
    if (!isTemplateName(name)) return Promise.reject(new TemplateError(`"${name}" is not a template name (lower-case letters, digits and dashes)`));
    let loaded = this.#cache.get(name);
    if (!loaded) {
      const file = join(this.dir, `${name}.txt`);
      loaded = readFile(file, 'utf8').then(
        (source) => parseTemplate(source, file),
        async (error: NodeJS.ErrnoException) => {
          throw new TemplateError(error.code === 'ENOENT' ? await noSuchTemplate(name, this.dir) : `cannot read ${file}: ${error.message}`);
        },
      );
      // A failed read is not cached: ops may add the file while the runtime runs.
      loaded.catch(() => this.#cache.delete(name));
      this.#cache.set(name, loaded);
    }
    return loaded;
  }
}

/** Why the templates folder `shown` cannot be listed, as the run's error and `validate` tell it: "the templates folder … (EMAIL_TEMPLATES_DIR) does not exist". */
export function unreadableTemplatesFolder(shown: string, error: unknown): string {
  const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read: ${(error as Error).message}`;
  return `the templates folder ${shown} (EMAIL_TEMPLATES_DIR) ${why}`;
}

/**
 * Why there is no template `name`: the folder and the closest name in it, or its templates when none
 * is close. `validate` checks a name written in the recipe; one chosen at run time (from a trigger's
 * payload) is only known here, and the run's error is all ops see of it.
 */
async function noSuchTemplate(name: string, dir: string): Promise<string> {
  let known: string[];
  try {
    known = templatesAmong(await readdir(dir));
  } catch (error) {
    return `no email template "${name}": ${unreadableTemplatesFolder(dir, error)}`;
  }
  const missing = `no email template "${name}" in ${dir} (EMAIL_TEMPLATES_DIR)`;
  const hint = didYouMean(name, known);
  if (hint) return missing + hint;
  return known.length > 0 ? `${missing}; the templates there: ${known.join(', ')}` : `${missing}; it has no templates`;
}

/** Splits the front matter (`subject:`) from the body (a leading byte order mark ignored); names the file when the format is wrong. */
export function parseTemplate(source: string, file: string): ParsedTemplate {
  const read = readTemplate(source, file);
  // A send fails at the first problem (validate names every one: readTemplate).
  if (read.problems.length > 0) throw new TemplateError(read.problems[0]!);
  return read.template!;
}

/**
 * A template as parseTemplate reads it, with every problem it has rather than the first: each
 * placeholder that does not parse, each `{{` without its `}}`, a front matter without its subject.
 * `template` holds what could be read (the placeholders that parse; the subject empty when it has no
 * line), for the checks of what it reads and calls; it is absent when the file has no front matter.
 */
export function readTemplate(source: string, file: string): { template?: ParsedTemplate; problems: string[] } {
  const problems: string[] = [];
  const content = withoutByteOrderMark(source);
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n([\s\S]*)$/.exec(content);
  if (!match) return { problems: [`${file}: a template starts with a front matter: ---, subject: …, ---`] };
  const frontLines = match[1]!.split(/\r?\n/);
  const subjectAt = frontLines.findIndex((line) => line.startsWith('subject:'));
  if (subjectAt < 0) problems.push(`${file}: the front matter has no "subject:" line`);
  const subjectText = subjectAt < 0 ? '' : frontLines[subjectAt]!.slice('subject:'.length).trim();
  const subject = splitParts(subjectText, file, subjectAt + 2, problems);
  // Lines of the file, so a placeholder that does not parse is named where the author wrote it.
  const bodyLine = lineCount(content.slice(0, content.length - match[2]!.length)) + 1;
  // Trailing blank lines go before splitting: they cannot hold a placeholder, which ends in `}}`.
  const body = splitParts(match[2]!.replace(/\s+$/, '\n'), file, bodyLine, problems);
  return { template: { subject, body }, problems };
}

function lineCount(text: string): number {
  return text.split('\n').length - 1;
}

/** The literal text and placeholders of `text`; each problem is added to `problems` (the part left out, or kept as text). */
function splitParts(text: string, file: string, firstLine: number, problems: string[]): Part[] {
  const parts: Part[] = [];
  let last = 0;
  const literal = (from: number, to: number): string => {
    const piece = text.slice(from, to);
    // `{{ name }` (a brace short) would be sent as written, braces and all, to every recipient.
    const open = piece.indexOf('{{');
    if (open >= 0) problems.push(`${file}:${firstLine + lineCount(text.slice(0, from + open))}: "{{" without its "}}": a placeholder is written {{ … }}`);
    return piece;
  };
  for (const placeholder of text.matchAll(PLACEHOLDER)) {
    parts.push(literal(last, placeholder.index));
    last = placeholder.index + placeholder[0].length;
    const source = placeholder[1]!;
    try {
      const compiled = compileExpression(`{%${source}%}`);
      parts.push({ source, compiled, plain: plainEvaluatorOf(compiled) });
    } catch (error) {
      // As written in the template ({{ … }}, not a recipe's {% … %}) and on its line.
      const e = error as ExpressionError;
      const cause = (e.cause as { message?: string } | undefined)?.message ?? e.message;
      const where = e.position !== undefined ? ` at position ${e.position}` : '';
      const line = firstLine + lineCount(text.slice(0, placeholder.index));
      problems.push(`${file}:${line}: {{${source}}}: ${cause}${where}`);
    }
  }
  parts.push(literal(last, text.length));
  return parts;
}

async function fill(parts: readonly Part[], data: Record<string, unknown>, name: string): Promise<string> {
  const out: string[] = [];
  for (const part of parts) {
    if (typeof part === 'string') {
      out.push(part);
      continue;
    }
    let value: unknown;
    try {
      // $usd() reads money the same way in templates as in recipes.
      // Most placeholders (text, fields, a line per item of a list) need no JSONata evaluation; the
      // plain evaluator answers JSONata's value or UNSURE (plain-expression.ts).
      value = part.plain ? part.plain(data) : UNSURE;
      if (value === UNSURE) value = await part.compiled.evaluate(data, MONEY_FUNCTIONS);
    } catch (error) {
      const e = error as { message?: string };
      throw new TemplateError(`template ${name}: {{${part.source}}}: ${e.message ?? String(error)}`);
    }
    out.push(display(value));
  }
  return out.join('');
}

function display(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(display).join(', ');
  return JSON.stringify(value);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The text body as simple HTML: escaped, paragraphs kept, http(s) links clickable. */
export function textToHtml(text: string): string {
  const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
  const paragraphs = text
    .trim()
    .split(/\n{2,}/)
    .map((p) => {
      const linked = escape(p).replace(/https?:\/\/[^\s<>"']+/g, (url) => `<a href="${url}">${url}</a>`);
      return `<p>${linked.replace(/\n/g, '<br>\n')}</p>`;
    });
  return `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">\n${paragraphs.join('\n')}\n</body></html>`;
}
