import { Counter, Gauge, type Registry } from 'prom-client';

/** Notification series, labelled by the webhook's configured id (never its URL). */
export function createNotifyMetrics(registry: Registry) {
  return {
    deliveries: new Counter({
      name: 'vigil_notify_deliveries_total',
      help: 'Webhook delivery attempts by outcome: sent, failed (retried), rejected (4xx, not retried), dropped (queue full or too old)',
      labelNames: ['webhook', 'outcome'],
      registers: [registry],
    }),
    queue: new Gauge({ name: 'vigil_notify_queue', help: 'Webhook messages waiting to be delivered', labelNames: ['webhook'], registers: [registry] }),
    lastSuccess: new Gauge({ name: 'vigil_notify_last_success_timestamp_seconds', help: 'When a message was last accepted by the webhook', labelNames: ['webhook'], registers: [registry] }),
    notices: new Counter({ name: 'vigil_notify_notices_total', help: 'Notices decided, by kind', labelNames: ['kind'], registers: [registry] }),
  };
}

export type NotifyMetrics = ReturnType<typeof createNotifyMetrics>;
