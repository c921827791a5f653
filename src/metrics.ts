import { Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricsOptions {
  /** Default process metrics (CPU, memory, event loop); off in unit tests for speed. */
  defaultMetrics?: boolean;
  /** Labels on every series, e.g. { role: 'recorder', node: 'rec-1' }. Never secrets. */
  defaultLabels?: Record<string, string>;
}

/**
 * A fresh Prometheus registry per process role (never prom-client's global one), so tests
 * build as many independent apps as they like. Vigil's metrics are prefixed `vigil_`.
 */
export function createMetricsRegistry(opts: MetricsOptions = {}): Registry {
  const registry = new Registry();
  if (opts.defaultLabels) registry.setDefaultLabels(opts.defaultLabels);
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}
