import type { ExpressionBuilder } from 'kysely';
import type { Database } from './database.ts';
import type { RunQuery } from './store.ts';

/**
 * The runs a RunQuery asks for, as one where-clause: its status, recipe, business key, page (`before`)
 * and ids, on the runs indexes. listRuns and listRunSummaries both filter with it, so a list and its
 * summaries never disagree on which runs a page holds. An empty `ids` matches nothing: callers answer
 * it without a query.
 */
export function runQueryFilter(q: RunQuery) {
  return (eb: ExpressionBuilder<Database, 'runs'>) => {
    const conditions = [];
    if (q.status) conditions.push(eb('status', '=', q.status));
    if (q.recipe) conditions.push(eb('recipe', '=', q.recipe));
    if (q.correlationKey) conditions.push(eb('correlation_key', '=', q.correlationKey));
    if (q.before) conditions.push(eb('id', '<', q.before));
    if (q.ids) conditions.push(eb('id', 'in', [...q.ids]));
    return eb.and(conditions);
  };
}
