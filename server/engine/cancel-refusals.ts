import type { CancelRefusal } from '../store/cancel-refusal.ts';
import type { RunId } from './ids.ts';

const FINISHED = 'a finished run cannot be canceled';

/**
 * A refused cancel in the words an operator reads, the same from `POST /runs/:id/cancel` (its 409 or
 * 404 body) and from the console's cancel (its confirmation page and its refusal page).
 */
export function cancelRefusalWords(runId: RunId, refusal: CancelRefusal): string {
  switch (refusal.refused) {
    case 'no-run':
      return `no run ${runId}`;
    case 'canceled':
      // The cancel before says what stopped it (an operator, an event: D12).
      return `run ${runId} is canceled: ${FINISHED} (it was canceled before${refusal.reason ? `: ${refusal.reason}` : ''})`;
    case 'finished':
      // A failed run is left as it is: nothing of it runs again unless someone retries it.
      return refusal.status === 'failed' ? `run ${runId} is failed: ${FINISHED}; a failed run does nothing more unless it is retried` : `run ${runId} is ${refusal.status}: ${FINISHED}`;
  }
}
