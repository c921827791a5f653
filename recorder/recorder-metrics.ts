import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CameraState } from './watchdog.ts';

/** The recorder's Prometheus series. Labels are camera ids (bounded, operator-chosen), never URLs. */
export const CAMERA_STATES: readonly CameraState[] = ['connecting', 'recording', 'stalled', 'reconnecting', 'offline', 'auth_failed', 'stopped'];

export function createRecorderMetrics(registry: Registry) {
  const m = {
    cameraUp: new Gauge({ name: 'vigil_camera_up', help: '1 while the camera is recording, else 0', labelNames: ['camera'], registers: [registry] }),
    cameraState: new Gauge({ name: 'vigil_camera_state', help: '1 for the camera\'s current watchdog state', labelNames: ['camera', 'state'], registers: [registry] }),
    reconnects: new Counter({ name: 'vigil_camera_reconnects_total', help: 'Reconnect attempts', labelNames: ['camera'], registers: [registry] }),
    segments: new Counter({ name: 'vigil_camera_segments_total', help: 'Segments closed by ffmpeg', labelNames: ['camera'], registers: [registry] }),
    bytes: new Counter({ name: 'vigil_camera_bytes_total', help: 'Bytes of closed segments', labelNames: ['camera'], registers: [registry] }),
    lastSegment: new Gauge({ name: 'vigil_camera_last_segment_timestamp_seconds', help: 'Wall time at which the last closed segment ends (age = time() - this)', labelNames: ['camera'], registers: [registry] }),
    gapSeconds: new Counter({ name: 'vigil_gap_seconds_total', help: 'Seconds of footage recorded as gaps, by reason', labelNames: ['camera', 'reason'], registers: [registry] }),
    spoolBytes: new Gauge({ name: 'vigil_spool_bytes', help: 'Bytes held in the local spool', registers: [registry] }),
    spoolDropped: new Counter({ name: 'vigil_spool_dropped_segments_total', help: 'Segments dropped by the spool quota policy', labelNames: ['camera'], registers: [registry] }),
    uploadQueue: new Gauge({ name: 'vigil_upload_queue', help: 'Segments waiting for upload or in flight', registers: [registry] }),
    uploadFailures: new Counter({ name: 'vigil_upload_failures_total', help: 'Failed upload attempts (retried)', registers: [registry] }),
    uploadLatency: new Histogram({
      name: 'vigil_upload_latency_seconds',
      help: 'Time to upload and index one segment',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    // Operations (alert rules in ops/prometheus/): join keys, spool capacity, store reachability.
    cameraInfo: new Gauge({ name: 'vigil_camera_info', help: 'Always 1; labels join a camera to its site (site is "" when none)', labelNames: ['camera', 'site'], registers: [registry] }),
    spoolQuotaBytes: new Gauge({ name: 'vigil_spool_quota_bytes', help: 'Bytes the spool may hold now: its quota, or less when the disk is fuller', registers: [registry] }),
    spoolDiskFreeBytes: new Gauge({ name: 'vigil_spool_disk_free_bytes', help: 'Free bytes on the disk holding the spool', registers: [registry] }),
    spoolDiskSizeBytes: new Gauge({ name: 'vigil_spool_disk_size_bytes', help: 'Size in bytes of the disk holding the spool', registers: [registry] }),
    uploadConsecutiveFailures: new Gauge({ name: 'vigil_upload_consecutive_failures', help: 'Failed upload attempts since the last success (0 while the store takes segments)', registers: [registry] }),
    outages: new Counter({ name: 'vigil_camera_outages_total', help: 'Times the camera stopped recording (left the recording state)', labelNames: ['camera'], registers: [registry] }),
    uploadLastSuccess: new Gauge({ name: 'vigil_upload_last_success_timestamp_seconds', help: 'When a segment was last stored and indexed', registers: [registry] }),
    // Camera leases (many recorder nodes on PostgreSQL: recorder/leases/). 0 on a single node.
    leasesHeld: new Gauge({ name: 'vigil_recorder_leases_held', help: 'Camera leases this recorder node holds (cameras it records)', registers: [registry] }),
    leaseTakeovers: new Counter({ name: 'vigil_recorder_lease_takeovers_total', help: 'Camera leases taken over from another node (it died, was cut off or handed the camera over)', registers: [registry] }),
    leaseRenewFailures: new Counter({ name: 'vigil_recorder_lease_renew_failures_total', help: 'Lease renewal rounds that failed (database unreachable or erroring)', registers: [registry] }),
    leasesLost: new Counter({ name: 'vigil_recorder_leases_lost_total', help: 'Camera leases this node lost or gave up, by reason (moved, expired, released)', labelNames: ['reason'], registers: [registry] }),
    fencedWrites: new Counter({ name: 'vigil_recorder_fenced_writes_total', help: 'Index writes refused because the camera lease had moved to another node, by kind', labelNames: ['kind'], registers: [registry] }),
  };
  const lastState = new Map<string, CameraState>();
  return {
    ...m,
    setState(camera: string, state: CameraState): void {
      if (lastState.get(camera) === 'recording' && state !== 'recording' && state !== 'stopped') m.outages.inc({ camera });
      lastState.set(camera, state);
      for (const s of CAMERA_STATES) m.cameraState.set({ camera, state: s }, s === state ? 1 : 0);
      m.cameraUp.set({ camera }, state === 'recording' ? 1 : 0);
    },
  };
}

export type RecorderMetrics = ReturnType<typeof createRecorderMetrics>;
