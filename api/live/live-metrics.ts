import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The API's live series: browsers watching, bytes sent to them, drops, snapshot time. Labels: camera ids. */
export function createApiLiveMetrics(registry: Registry) {
  return {
    viewers: new Gauge({ name: 'vigil_live_viewers', help: 'Browsers watching a camera live', labelNames: ['camera'], registers: [registry] }),
    bytesOut: new Counter({ name: 'vigil_live_bytes_out_total', help: 'Live bytes sent to browsers', labelNames: ['camera'], registers: [registry] }),
    dropped: new Counter({ name: 'vigil_live_viewers_dropped_total', help: 'Live viewers ended by the server (behind, recorder gone, too many)', labelNames: ['camera', 'reason'], registers: [registry] }),
    snapshotSeconds: new Histogram({
      name: 'vigil_live_snapshot_request_seconds',
      help: 'Time to answer a live snapshot request',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}

export type ApiLiveMetrics = ReturnType<typeof createApiLiveMetrics>;
