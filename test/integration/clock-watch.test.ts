import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import { ClockWatch, storeReadingIn } from '../../recorder/clock-watch.ts';
import { createClockMetrics } from '../../recorder/clock-metrics.ts';
import { systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetricsRegistry } from '../../src/metrics.ts';
import { openDatabase } from '../../src/db/database.ts';
import type { Database } from '../../src/db/schema.ts';
import { CamerasRepo } from '../../src/db/cameras-repo.ts';
import { waitFor } from '../helpers/wait.ts';
import type { Registry } from 'prom-client';
import { startRecorderHarness } from '../helpers/recorder-harness.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';

// The clock watch against a simulated ONVIF camera whose clock is skewed: the measured offset
// follows the fault (within the request's round trip and the 1 s resolution of
// GetSystemDateAndTime), the metric shows it, and cameras.details keeps the latest reading
// next to what onboarding stored. A camera that stops answering counts failures and keeps its
// last offset.
describe('camera clock watch (simulator, ONVIF GetSystemDateAndTime)', () => {
  let sim: CameraSimulator;
  let db: Kysely<Database>;
  let dir: string;
  let registry: Registry;
  let watch: ClockWatch;
  const logLines: string[] = [];
  const CAM = 'cam-1';

  beforeAll(async () => {
    sim = await CameraSimulator.start({ cameras: 1, discoveryPort: null, media: { loopSeconds: 4 } });
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-clock-'));
    db = await openDatabase({ driver: 'sqlite', sqlitePath: path.join(dir, 'index.db') });
    const cams = new CamerasRepo(db, () => Date.now());
    await cams.upsert({ id: CAM, name: 'Quầy 1', siteId: null, source: 'onvif', details: { device: { model: 'Sim' }, clockOffsetMs: 0, clockOffsetMeasuredMs: 1 } });
    registry = createMetricsRegistry();
    const sink = new Writable({ write: (c, _e, cb) => (logLines.push(String(c)), cb()) });
    watch = new ClockWatch({ clock: systemClock, log: createLogger({ destination: sink, level: 'info' }), metrics: createClockMetrics(registry), intervalMs: 150, timeoutMs: 2_000, store: storeReadingIn(cams) });
  });
  afterAll(async () => {
    watch?.stop();
    await sim?.stop();
    await db?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const details = async () => (await new CamerasRepo(db, () => Date.now()).get(CAM))!.details;
  const metricValue = async (name: string) => (await registry.getSingleMetric(name)!.get()).values.find((v) => v.labels['camera'] === CAM)?.value;

  it('tracks a skewed camera clock in details and the metric', async () => {
    const cam = sim.camera(CAM);
    watch.watch(CAM, { host: '127.0.0.1', port: cam.onvif.port, username: cam.spec.username, password: cam.spec.password });
    for (const skewMs of [-90_000, 7_200_000]) {
      cam.faults.set({ clockSkewMs: skewMs });
      const before = Date.now();
      // A reading started after the fault was set, then checked directly for its round trip.
      await waitFor(`offset near ${skewMs} ms stored`, async () => {
        const d = await details();
        return typeof d['clockOffsetMeasuredMs'] === 'number' && (d['clockOffsetMeasuredMs'] as number) > before + 50 && Math.abs((d['clockOffsetMs'] as number) - skewMs) < 3_000;
      }, { timeoutMs: 10_000 });
      const r = (await watch.checkNow(CAM))!;
      expect(r).not.toBeNull();
      // The camera answers whole seconds: its time is in [t, t + 1 s).
      expect(r.offsetMs - skewMs).toBeLessThanOrEqual(r.roundTripMs / 2 + 1);
      expect(skewMs - r.offsetMs).toBeLessThanOrEqual(1_000 + r.roundTripMs / 2 + 1);
      const d = await details();
      expect(d['clockOffsetMs']).toBe(r.offsetMs);
      expect(d['clockOffsetMeasuredMs']).toBe(r.measuredMs);
      expect(d['clockOffsetSource']).toBe('onvif'); // no live URL stored here: ONVIF only
      expect(d['device']).toEqual({ model: 'Sim' });
      expect(await metricValue('vigil_camera_clock_offset_seconds')).toBe(r.offsetMs / 1000);
    }
    expect(logLines.some((l) => l.includes('over 5 minutes off'))).toBe(true);
    expect(await metricValue('vigil_camera_clock_measurement_failures_total')).toBe(0);
  });

  it('counts failed readings and keeps the last offset when the camera stops answering', async () => {
    const cam = sim.camera(CAM);
    const kept = (await details())['clockOffsetMs'];
    cam.faults.set({ refuse: true });
    try {
      await waitFor('a failed reading counted', async () => ((await metricValue('vigil_camera_clock_measurement_failures_total')) ?? 0) >= 1, { timeoutMs: 10_000 });
      expect((await details())['clockOffsetMs']).toBe(kept);
      expect(logLines.some((l) => l.includes('camera clock could not be read'))).toBe(true);
      expect(logLines.join('\n')).not.toContain(cam.spec.password);
    } finally {
      cam.faults.clear();
    }
    watch.unwatch(CAM);
    expect(await metricValue('vigil_camera_clock_offset_seconds')).toBeUndefined();
  });
});

// The recorder role watches the clock of every ONVIF camera it records, from its start.
describe('the recorder starts a clock watch per ONVIF camera', () => {
  it('measures a skewed camera once it records and keeps the reading with the camera', async () => {
    const h = await startRecorderHarness({ cameras: [defaultSpec(0, { id: 'skewed-1', video: 'h264', audio: 'none' })], segmentMs: 2_000 });
    try {
      h.sim.camera('skewed-1').faults.set({ clockSkewMs: 45_000 });
      await waitFor('the camera recording', async () => (await h.db.selectFrom('segments').select('id').where('camera_id', '=', 'skewed-1').executeTakeFirst()) ?? false, { timeoutMs: 30_000, intervalMs: 200 });
      const r = await h.recorder.clockWatch.checkNow('skewed-1');
      expect(r).not.toBeNull();
      // The recorder knows the live URL (onboarding stored it), so the precise RTCP offset is kept:
      // within a frame interval of the skew; the ONVIF one only within its 1 s resolution.
      expect(r!.source).toBe('rtcp');
      expect(Math.abs(r!.offsetMs - 45_000)).toBeLessThan(40);
      expect(Math.abs(r!.onvifOffsetMs - 45_000)).toBeLessThanOrEqual(1_000 + r!.roundTripMs);
      const row = await h.db.selectFrom('cameras').select('details').where('id', '=', 'skewed-1').executeTakeFirstOrThrow();
      const d = JSON.parse(row.details) as Record<string, unknown>;
      expect(d['clockOffsetMeasuredMs']).toBe(r!.measuredMs);
      expect(d['clockOffsetMs']).toBe(r!.offsetMs);
      expect(d['clockOffsetSource']).toBe('rtcp');
      expect(d['main']).toBeTruthy(); // what onboarding stored stays
    } finally {
      await h.stop();
    }
  }, 60_000);
});
