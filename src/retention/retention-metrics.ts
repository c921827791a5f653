import { Counter, Gauge, type Registry } from 'prom-client';

/** Retention's Prometheus series. Labels are camera and site ids only (bounded, operator-chosen). */
export function createRetentionMetrics(registry: Registry) {
  return {
    storedBytes: new Gauge({ name: 'vigil_store_camera_bytes', help: 'Bytes of footage stored per camera', labelNames: ['camera', 'site'], registers: [registry] }),
    oldestFootage: new Gauge({ name: 'vigil_store_oldest_footage_timestamp_seconds', help: 'Start of the oldest stored footage per camera (age = time() - this)', labelNames: ['camera'], registers: [registry] }),
    quotaBytes: new Gauge({ name: 'vigil_store_quota_bytes', help: 'Byte quota of the store or of a site', labelNames: ['scope'], registers: [registry] }),
    quotaUsedBytes: new Gauge({ name: 'vigil_store_quota_used_bytes', help: 'Bytes counted against the quota of the store or of a site', labelNames: ['scope'], registers: [registry] }),
    deletedBytes: new Counter({ name: 'vigil_retention_deleted_bytes_total', help: 'Bytes of footage deleted by retention', labelNames: ['reason'], registers: [registry] }),
    deletedSegments: new Counter({ name: 'vigil_retention_deleted_segments_total', help: 'Segments deleted by retention', labelNames: ['reason'], registers: [registry] }),
    lastRun: new Gauge({ name: 'vigil_retention_last_run_timestamp_seconds', help: 'When retention last finished a run', registers: [registry] }),
    lastRunSuccess: new Gauge({ name: 'vigil_retention_last_run_success', help: '1 when the last retention run completed, 0 when it failed', registers: [registry] }),
    quotaUnmet: new Gauge({ name: 'vigil_retention_quota_unmet', help: '1 while a quota cannot be met without deleting held footage', labelNames: ['scope'], registers: [registry] }),
  };
}

export type RetentionMetrics = ReturnType<typeof createRetentionMetrics>;
