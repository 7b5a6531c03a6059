import { Counter, Histogram, Registry } from 'prom-client';

/**
 * The engine's Prometheus metrics, in a registry of its own so that several engines in one process
 * (tests, the harness) do not collide. `GET /metrics` serves `registry.metrics()`.
 */
export class EngineMetrics {
  readonly registry = new Registry();
  readonly deliveries = new Counter({ name: 'partnerflow_deliveries_total', help: 'Webhook deliveries accepted (duplicates excluded)', registers: [this.registry] });
  readonly runsFinished = new Counter({
    name: 'partnerflow_runs_finished_total',
    help: 'Runs that reached a final status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly turnSeconds = new Histogram({
    name: 'partnerflow_turn_seconds',
    help: 'Duration of one turn of a run (steps executed until it waits or ends)',
    buckets: [0.005, 0.02, 0.1, 0.5, 2, 10, 60],
    registers: [this.registry],
  });
}
