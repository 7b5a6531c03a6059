import type { Logger } from '../connectors/kit/define-connector.ts';
import type { LifecycleEvent, LifecycleListener } from './engine/lifecycle-events.ts';

/** A filter as written in the recipe, without its `{% %}` delimiters. */
const bareExpression = (expression: string) => expression.replace(/^\s*\{%\s*([\s\S]*?)\s*%\}\s*$/, '$1');

/** One run of an accepted webhook: started, already there, or held back behind the run that holds its concurrency key. */
function describeRun(r: { runId: string; recipe: string; key: string; existing: boolean; heldBehind?: string }): string {
  if (r.existing) return `${r.key} already has ${r.runId} (${r.recipe})`;
  if (r.heldBehind) return `run held back: ${r.runId} (${r.recipe}) for ${r.key} waits for ${r.heldBehind} to finish (one run at a time per concurrency_key)`;
  return `run started: ${r.runId} (${r.recipe}) for ${r.key}`;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Logs what happens to runs at `info` (a failure at `warn`), one line per event, each with the run
 * id, the recipe and the business key (`key`, e.g. the MDF number): what an operator follows in the
 * log. Nothing per step: at a thousand webhooks a second the lifecycle lines are what the log can afford.
 */
export function logLifecycle(log: Logger): LifecycleListener {
  return (event: LifecycleEvent) => {
    switch (event.type) {
      case 'webhook.accepted': {
        const { event: name, deliveryId, duplicate, runs } = event;
        const [only] = runs;
        const fields = runs.length === 1 ? { event: name, deliveryId, duplicate, runId: only!.runId, recipe: only!.recipe, key: only!.key } : { event: name, deliveryId, duplicate, runs };
        let outcome: string;
        const filtered = event.filteredOut ?? [];
        const timers = (event.timers ?? []).map((t) => `${t.action} the timers of ${t.recipe} for ${t.key}`).join(', ');
        // A repeated delivery first: it starts nothing whatever the recipes say, and its timers are
        // recomputed all the same (the sender repeats when it saw no answer).
        if (duplicate) outcome = `a delivery already received (same delivery id): no new run${runs.length > 0 ? `, ${runs.map((r) => r.runId).join(', ')}` : ''}`;
        else if (runs.length === 0 && timers) outcome = timers;
        else if (runs.length === 0) {
          // Say which filter refused it: a request already decided is no longer `Open`, for example.
          outcome = filtered.length
            ? `no recipe starts on it: ${filtered.map((f) => `${f.recipe}: filter \`${bareExpression(f.filter)}\` is false`).join('; ')}`
            : 'no recipe starts on it (no recipe is triggered by this event)';
        }
        else if (runs.every((r) => r.existing)) outcome = `no new run: runs are deduplicated by business key, and ${runs.map(describeRun).join(', ')}`;
        else outcome = runs.map(describeRun).join(', ');
        if ((runs.length > 0 || duplicate) && timers) outcome += `; ${timers}`;
        log.info(event.timers ? { ...fields, timers: event.timers } : fields, `webhook ${name} accepted: ${outcome}`);
        return;
      }
      case 'run.started':
        log.info({ runId: event.runId, recipe: event.recipe, key: event.key, trigger: event.trigger }, `run started: ${event.recipe} for ${event.key}`);
        return;
      case 'run.waiting': {
        const until = iso(event.until);
        const what = event.step ? ` for ${event.step}` : '';
        log.info({ runId: event.runId, recipe: event.recipe, key: event.key, step: event.step, until }, `run waiting${what} ${until ? `until ${until}` : 'until a signal or event answers'}`);
        return;
      }
      case 'timer.fired':
        log.info({ runId: event.runId, recipe: event.recipe, key: event.key, step: event.step, timer: event.timer }, event.timer === 'timeout' ? `timer fired: ${event.step} timed out` : `timer fired: ${event.step} waited its time`);
        return;
      case 'business-timer.fired':
        log.info(
          { runId: event.runId, recipe: event.recipe, key: event.key, offset: event.offset, dueAt: iso(event.dueAt), date: event.date },
          `timer fired: ${event.recipe} for ${event.key}, offset ${event.offset} after ${event.date}`,
        );
        return;
      case 'run.completed':
        log.info({ runId: event.runId, recipe: event.recipe, key: event.key }, 'run completed');
        return;
      case 'run.failed':
        log.warn({ runId: event.runId, recipe: event.recipe, key: event.key, step: event.step, error: event.error }, `run failed${event.step ? ` at ${event.step}` : ''}: ${event.error ?? 'no error given'}`);
        return;
      case 'run.canceled':
        log.info({ runId: event.runId, recipe: event.recipe, key: event.key, reason: event.reason }, `run canceled${event.reason ? `: ${event.reason}` : ''}`);
        return;
    }
  };
}
