import { expressionChoices, type Choice, type ResolveScopePath } from '../../server/engine/expression-choices.ts';

/**
 * The template names a `template` written as an expression can give that are known before any run
 * (expression-choices.ts): string literals where the expression's value comes from, through
 * conditions (`c ? 'a' : 'b'`, `x ?: 'a'`, `x ?? 'a'`, nested), the last expression of a block, `&`
 * of parts that are all known, `$lookup` of an object written in the expression, and, with
 * `resolve`, a `$vars.<name>` an earlier `set` step gives and a `$steps.<lookup>.<column>` of a
 * table (every row the lookup can read). A value read at run time (the trigger's payload, an
 * action's output) is no known name, and text joined with one is not either: those are left to the
 * send, never guessed at. Each name listed is one the expression gives on some path, so `validate`
 * can refuse a misspelt one without a false alarm.
 */
export function templateChoices(source: string, resolve?: ResolveScopePath): Choice[] {
  return expressionChoices(source, resolve).values;
}
