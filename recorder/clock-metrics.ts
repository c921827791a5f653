import { Counter, Gauge, type Registry } from 'prom-client';

/** The camera clock series (recorder/clock-watch.ts). Labels are camera ids only. */
export function createClockMetrics(registry: Registry) {
  return {
    offset: new Gauge({ name: 'vigil_camera_clock_offset_seconds', help: 'Camera clock minus the recorder\'s, seconds, at the latest measurement (positive: the camera is ahead)', labelNames: ['camera'], registers: [registry] }),
    measured: new Gauge({ name: 'vigil_camera_clock_measured_timestamp_seconds', help: 'When the camera clock offset was last measured (age = time() - this)', labelNames: ['camera'], registers: [registry] }),
    failures: new Counter({ name: 'vigil_camera_clock_measurement_failures_total', help: 'Camera clock readings (ONVIF GetSystemDateAndTime) that failed or timed out', labelNames: ['camera'], registers: [registry] }),
  };
}

export type ClockMetrics = ReturnType<typeof createClockMetrics>;
