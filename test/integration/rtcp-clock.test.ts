import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { ClockWatch, liveUrlIn, storeReadingIn } from '../../recorder/clock-watch.ts';
import { createClockMetrics } from '../../recorder/clock-metrics.ts';
import { readSenderReportOffset } from '../../recorder/rtcp-clock.ts';
import { onboardOnvif } from '../../recorder/onboarding.ts';
import { sourceFor } from '../../recorder/camera-source.ts';
import { systemClock } from '../../src/clock.ts';
import { cameraSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetricsRegistry } from '../../src/metrics.ts';
import { openDatabase } from '../../src/db/database.ts';
import type { Database } from '../../src/db/schema.ts';
import { CamerasRepo } from '../../src/db/cameras-repo.ts';

// The precise clock offset from RTCP sender reports against the simulator (real RTSP over
// loopback): it follows the camera's skew to within the loopback latency, where ONVIF's
// whole-second time is up to 1 s off; a camera whose SRs carry an unset clock keeps ONVIF's.
// And onboarding reuses a recent Profile G result instead of probing again at a reconnect.
describe('camera clock offset from RTCP sender reports (simulator)', () => {
  let sim: CameraSimulator;
  let db: Kysely<Database>;
  let dir: string;
  let watch: ClockWatch;
  const logLines: string[] = [];
  const CAM = 'cam-1';

  beforeAll(async () => {
    sim = await CameraSimulator.start({ cameras: [defaultSpec(0, { audio: 'none', edge: { retentionMs: 60_000 } })], discoveryPort: null, media: { loopSeconds: 4 } });
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-rtcp-clock-'));
    db = await openDatabase({ driver: 'sqlite', sqlitePath: path.join(dir, 'index.db') });
    const cams = new CamerasRepo(db, () => Date.now());
    const cam = sim.camera(CAM);
    await cams.upsert({ id: CAM, name: 'Quầy 1', siteId: null, source: 'onvif', details: { device: { model: 'Sim' }, main: { encoding: 'H264', rtspUrl: cam.rtspUrl('main') } } });
    const sink = new Writable({ write: (c, _e, cb) => (logLines.push(String(c)), cb()) });
    watch = new ClockWatch({
      clock: systemClock, log: createLogger({ destination: sink, level: 'info' }), metrics: createClockMetrics(createMetricsRegistry()),
      intervalMs: 3_600_000, timeoutMs: 4_000, store: storeReadingIn(cams), liveUrlOf: liveUrlIn(cams),
    });
    watch.watch(CAM, { host: '127.0.0.1', port: cam.onvif.port, username: cam.spec.username, password: cam.spec.password });
  });
  afterAll(async () => {
    watch?.stop();
    await sim?.stop();
    await db?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const details = async () => (await new CamerasRepo(db, () => Date.now()).get(CAM))!.details;

  it.each([1_234, -90_000])('clockSkewMs %i: the SR offset is within a frame interval of the skew, ONVIF within 1 s', async (skewMs) => {
    sim.camera(CAM).faults.set({ clockSkewMs: skewMs });
    try {
      const r = (await watch.checkNow(CAM))!;
      expect(r).not.toBeNull();
      console.log(`skew ${skewMs} ms: rtcp ${r.rtcpOffsetMs} ms, onvif ${r.onvifOffsetMs} ms (round trip ${r.roundTripMs} ms), chosen ${r.source}`);
      expect(r.source).toBe('rtcp');
      // SR time − arrival = skew − latency (loopback: well under a frame interval of 40 ms).
      expect(r.offsetMs).toBe(r.rtcpOffsetMs);
      expect(r.offsetMs).toBeLessThanOrEqual(skewMs + 1);
      expect(skewMs - r.offsetMs).toBeLessThan(40);
      // ONVIF answers whole seconds: its offset is in (skew − 1 s − rtt/2, skew + rtt/2].
      expect(r.onvifOffsetMs - skewMs).toBeLessThanOrEqual(r.roundTripMs / 2 + 1);
      expect(skewMs - r.onvifOffsetMs).toBeLessThanOrEqual(1_000 + r.roundTripMs / 2 + 1);
      const d = await details();
      expect(d).toMatchObject({ clockOffsetMs: r.offsetMs, clockOffsetMeasuredMs: r.measuredMs, clockOffsetSource: 'rtcp', device: { model: 'Sim' } });
    } finally {
      sim.camera(CAM).faults.clear();
    }
  });

  it('keeps the ONVIF offset when the SRs carry an unset clock, and says so without the password', async () => {
    sim.camera(CAM).faults.set({ clockSkewMs: 2_500, srClockUnset: true });
    try {
      const r = (await watch.checkNow(CAM))!;
      console.log(`unset SR clock, skew 2500 ms: rtcp ${r.rtcpOffsetMs} ms, onvif ${r.onvifOffsetMs} ms, chosen ${r.source}`);
      expect(r).toMatchObject({ source: 'onvif', offsetMs: r.onvifOffsetMs });
      expect(Math.abs(r.rtcpOffsetMs! - 2_500)).toBeGreaterThan(86_400_000);
      expect(Math.abs(r.offsetMs - 2_500)).toBeLessThanOrEqual(1_000 + r.roundTripMs);
      expect(await details()).toMatchObject({ clockOffsetMs: r.offsetMs, clockOffsetSource: 'onvif' });
      expect(logLines.filter((l) => l.includes('kept from ONVIF'))).toHaveLength(1);
      expect(logLines.join('\n')).not.toContain(sim.camera(CAM).spec.password);
    } finally {
      sim.camera(CAM).faults.clear();
    }
  });

  it('a report read while the recorder was busy does not decide the offset: the least delayed one does', async () => {
    const cam = sim.camera(CAM);
    cam.faults.set({ clockSkewMs: 5_000 });
    // For its first 700 ms the reader's clock runs 300 ms ahead, as a recorder busy elsewhere
    // reads an arrival late: the report sent at PLAY lands in that window, later ones do not.
    const lateUntil = Date.now() + 700;
    let lateReads = 0;
    const busy = { nowMs: () => (Date.now() < lateUntil ? (lateReads++, Date.now() + 300) : Date.now()), setTimer: systemClock.setTimer };
    const out = await readSenderReportOffset({ url: cam.rtspUrl('main'), username: cam.spec.username, password: cam.spec.password, requestTimeoutMs: 4_000, reports: 3, sampleMs: 4_000 }, busy).finally(() => cam.faults.set({ clockSkewMs: 0 }));
    expect(lateReads).toBeGreaterThan(0);
    expect('offsetMs' in out && out.offsetMs).toSatisfy((ms: number) => ms <= 5_001 && 5_000 - ms < 40);
  });

  it('reading an SR with a wrong password is a failure in plain words, no secret in it', async () => {
    const cam = sim.camera(CAM);
    const out = await readSenderReportOffset({ url: cam.rtspUrl('main'), username: cam.spec.username, password: 'not-the-password', requestTimeoutMs: 4_000, waitMs: 4_000 }, systemClock);
    expect('failure' in out && out.failure).toMatch(/rejected the user name or password/);
    expect(JSON.stringify(out)).not.toContain('not-the-password');
  });

  it('onboarding with a recent Profile G result makes no Profile G calls; without one it probes', async () => {
    const cam = sim.camera(CAM);
    const profileG = new Set(['FindRecordings', 'GetRecordingSearchResults', 'EndSearch', 'GetRecordingSummary', 'GetReplayUri']);
    let calls = 0;
    const count = (e: { action: string }) => void (profileG.has(e.action) && calls++);
    cam.onvif.on('request', count);
    try {
      const target = { host: '127.0.0.1', port: cam.onvif.port, username: cam.spec.username, password: cam.spec.password, timeoutMs: 4_000 };
      const first = await onboardOnvif(target, systemClock);
      expect(first.edge.profileG).toBe(true);
      expect(calls).toBeGreaterThan(0);
      calls = 0;
      const again = await onboardOnvif(target, systemClock, { knownEdge: first.edge });
      expect(again.edge).toEqual(first.edge);
      expect(calls).toBe(0);

      // The recorder's path: sourceFor reads the stored details.edge, then remembers its own.
      const config = cameraSchema.parse({ id: CAM, onvif: { host: '127.0.0.1', port: cam.onvif.port, username: cam.spec.username, password: cam.spec.password }, audio: 'off' });
      const written: Array<Record<string, unknown>> = [];
      const stored: Record<string, unknown> = { edge: { ...first.edge, checkedMs: Date.now() - 3_600_000 }, clockOffsetMs: 10, clockOffsetMeasuredMs: 1, clockOffsetSource: 'rtcp' };
      const source = sourceFor(config, systemClock, { timeoutMs: 4_000, storedDetails: async () => stored, onOnboarded: async (d) => void written.push(d) });
      calls = 0;
      await source();
      await source();
      expect(calls).toBe(0);
      expect(written).toHaveLength(2);
      expect(written[0]).toMatchObject({ edge: stored['edge'], clockOffsetMs: 10, clockOffsetSource: 'rtcp' });
      const stale = sourceFor(config, systemClock, { timeoutMs: 4_000, storedDetails: async () => ({ edge: { ...first.edge, checkedMs: Date.now() - 25 * 3_600_000 } }) });
      await stale();
      expect(calls).toBeGreaterThan(0);
    } finally {
      cam.onvif.off('request', count);
    }
  });
});
