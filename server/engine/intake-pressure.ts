import { performance } from 'node:perf_hooks';

/** Event loop utilization from which the loop counts as saturated. */
const SATURATED = 0.9;
/** How often utilization is measured again, and how recent a delivery must be to count. */
const WINDOW_MS = 100;

/**
 * Tells the worker when deliveries keep arriving on a saturated event loop. The worker then executes
 * runs in one slot only, and intake gets the CPU: a webhook answered late is retried by its sender
 * (more load, and a sender may give up), while a run executed a little later loses nothing (it is
 * stored before the 202). Only the two together count: a busy loop with no deliveries is the worker
 * draining a backlog, and deliveries on an idle loop need no help.
 */
export class IntakePressure {
  #lastDeliveryAt = -Infinity;
  #saturated = false;
  #measuredAt = -Infinity;
  readonly #utilization: () => number;
  readonly #now: () => number;

  /** `utilization` answers the loop's utilization since its previous call (0..1). */
  constructor(utilization: () => number = eventLoopUtilizationSinceLastCall(), now: () => number = () => performance.now()) {
    this.#utilization = utilization;
    this.#now = now;
  }

  deliveryArrived(): void {
    this.#lastDeliveryAt = this.#now();
  }

  get high(): boolean {
    const now = this.#now();
    if (now - this.#lastDeliveryAt > WINDOW_MS) return false;
    if (now - this.#measuredAt >= WINDOW_MS) {
      this.#saturated = this.#utilization() >= SATURATED;
      this.#measuredAt = now;
    }
    return this.#saturated;
  }
}

function eventLoopUtilizationSinceLastCall(): () => number {
  let previous = performance.eventLoopUtilization();
  return () => {
    const current = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(current, previous);
    previous = current;
    return utilization;
  };
}
