import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The recorder's live series (labels: camera ids only). Viewers here are the recorder's own
 * subscribers: browsers when the API runs in this process, API relays when it runs apart
 * (one per browser). The API counts browsers itself (api/live/live-metrics.ts).
 */
export function createLiveMetrics(registry: Registry) {
  return {
    subscribers: new Gauge({ name: 'vigil_live_subscribers', help: 'Live subscribers of the recorder, per camera', labelNames: ['camera'], registers: [registry] }),
    ingestBytes: new Counter({ name: 'vigil_live_ingest_bytes_total', help: 'Bytes of live stream read from ffmpeg', labelNames: ['camera'], registers: [registry] }),
    sentBytes: new Counter({ name: 'vigil_live_sent_bytes_total', help: 'Live bytes handed to subscribers', labelNames: ['camera'], registers: [registry] }),
    skips: new Counter({ name: 'vigil_live_skips_total', help: 'Times a subscriber fell behind and was skipped ahead to the next keyframe', labelNames: ['camera'], registers: [registry] }),
    dropped: new Counter({ name: 'vigil_live_dropped_subscribers_total', help: 'Subscribers dropped for staying behind', labelNames: ['camera', 'reason'], registers: [registry] }),
    streamBroken: new Counter({ name: 'vigil_live_stream_errors_total', help: 'Live streams from ffmpeg that could not be parsed (the recording is not affected)', labelNames: ['camera'], registers: [registry] }),
    ackLag: new Histogram({
      name: 'vigil_live_ack_seconds',
      help: 'From handing a live piece to a subscriber until it acknowledged appending it',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers: [registry],
    }),
    snapshotSeconds: new Histogram({
      name: 'vigil_live_snapshot_seconds',
      help: 'From a snapshot ask needing a decode to its JPEG (waiting for a decoder included)',
      buckets: [0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers: [registry],
    }),
    snapshots: new Counter({ name: 'vigil_live_snapshots_total', help: 'Snapshot asks, by outcome (decoded, cached, shared, unavailable)', labelNames: ['camera', 'outcome'], registers: [registry] }),
  };
}

export type LiveMetrics = ReturnType<typeof createLiveMetrics>;
