import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { startRecorderHarness, type RecorderHarness } from '../helpers/recorder-harness.ts';
import { waitFor } from '../helpers/wait.ts';
import { ffprobe } from '../helpers/ffprobe.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { DEFAULT_BACKOFF } from '../../recorder/backoff.ts';
import { EventsRepo } from '../../src/db/events-repo.ts';
import { SegmentsRepo } from '../../src/db/segments-repo.ts';

// Faults injected on four cameras of one running recorder at once; each must end accounted for.
describe('recorder under camera faults', () => {
  let h: RecorderHarness;
  let events: EventsRepo;
  let segments: SegmentsRepo;
  const all = { startMs: 0, endMs: Number.MAX_SAFE_INTEGER };
  const cams = ['stall', 'refuse', 'badpass', 'switch'].map((id, i) => defaultSpec(i, { id, video: 'h264', audio: i === 0 ? 'pcma' : 'none' }));

  const stateOf = (id: string) => h.recorder.cameraStates().find((c) => c.cameraId === id)!;
  const transitions = async (id: string) => (await events.list(id, all)).map((e) => `${e.toState}@${e.atMs}`);
  const segmentCount = async (id: string) => (await segments.overlapping(id, all)).length;

  beforeAll(async () => {
    h = await startRecorderHarness({ cameras: cams, segmentMs: 4_000 });
    events = new EventsRepo(h.db);
    segments = new SegmentsRepo(h.db, () => Date.now());
    await waitFor('all four cameras to store a segment', async () => {
      for (const c of cams) if ((await segmentCount(c.id)) < 1) return false;
      return true;
    }, { timeoutMs: 30_000, intervalMs: 250 });
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
  });

  it('stall: detected within the stall timeout, recorded as stream_stalled, then recovers', async () => {
    const cam = h.sim.camera('stall');
    const before = await segmentCount('stall');
    const faultAt = Date.now();
    cam.faults.set({ stall: true }, 8_000);
    await waitFor('the stall to be detected', () => stateOf('stall').state === 'stalled' || undefined, { timeoutMs: 10_000 });
    const stalledAt = (await events.list('stall', all)).find((e) => e.toState === 'stalled' && e.atMs >= faultAt)!.atMs;
    expect(stalledAt - faultAt).toBeLessThanOrEqual(5_000 + 1_000); // stall timeout + one progress period
    await waitFor('recording again with new segments', async () => stateOf('stall').state === 'recording' && (await segmentCount('stall')) >= before + 2, { timeoutMs: 40_000, intervalMs: 250 });
    const acc = await h.accounting('stall');
    expect(acc.problems).toEqual([]);
    expect(acc.gaps.map((g) => g.reason)).toContain('stream_stalled');
  }, 60_000);

  it('refuse for 20 s: reconnects with backoff and records the outage as camera_unreachable', async () => {
    const cam = h.sim.camera('refuse');
    const faultAt = Date.now();
    cam.faults.set({ refuse: true }, 20_000);
    cam.faults.dropSessions();
    await waitFor('recording again after the outage', () => Date.now() - faultAt > 20_000 && stateOf('refuse').state === 'recording' || undefined, { timeoutMs: 60_000, intervalMs: 250 });
    const after = (await events.list('refuse', all)).filter((e) => e.atMs >= faultAt).map((e) => e.toState);
    const attempts = after.filter((s) => s === 'connecting').length;
    expect(attempts).toBeGreaterThanOrEqual(3); // retried during the outage
    expect(attempts).toBeLessThan(15); // backing off, not hammering
    await waitFor('a segment after the outage', async () => (await segments.overlapping('refuse', { startMs: faultAt + 20_000, endMs: Number.MAX_SAFE_INTEGER })).length > 0, { timeoutMs: 20_000 });
    const acc = await h.accounting('refuse');
    expect(acc.problems).toEqual([]);
    // The cut session ends the footage (stream_error: the camera closed it); from the first
    // refused reconnect on, the gap says camera_unreachable.
    const unreachableMs = acc.gaps.filter((g) => g.reason === 'camera_unreachable').reduce((n, g) => n + g.endMs - g.startMs, 0);
    // The new session gets the camera's current GOP at once (up to 2 s of frames captured just
    // before it connected), so up to a GOP of the 20 s is real footage, not a gap.
    expect(unreachableMs).toBeGreaterThanOrEqual(20_000 - 2_000 - 500);
    // At most one backoff delay (capped) after the camera is back, plus the connect and the
    // first keyframe: the camera is seen back soon, not a whole cap later.
    expect(unreachableMs).toBeLessThanOrEqual(20_000 + DEFAULT_BACKOFF.maxMs + 3_000);
    expect(acc.gaps.filter((g) => g.startMs >= faultAt - 5_000).every((g) => ['stream_error', 'camera_unreachable'].includes(g.reason))).toBe(true);
  }, 90_000);

  it('wrong password: auth_failed with a clear message and no hot loop', async () => {
    const cam = h.sim.camera('badpass');
    let authFailures = 0;
    cam.onvif.on('authFailure', () => authFailures++);
    cam.faults.set({ wrongCredentials: true });
    cam.faults.dropSessions();
    await waitFor('auth_failed', () => stateOf('badpass').state === 'auth_failed' || undefined, { timeoutMs: 20_000 });
    expect(stateOf('badpass').detail).toMatch(/user name or password/);
    expect(h.logLines.some((l) => l.includes('"cameraId":"badpass"') && l.includes('camera rejected the credentials'))).toBe(true);
    const seen = authFailures;
    const transitionsBefore = (await transitions('badpass')).length;
    // Nothing sleeps on behaviour here: we watch for *absence* of retries over a window.
    await new Promise((r) => setTimeout(r, 8_000));
    expect(authFailures).toBe(seen);
    expect((await transitions('badpass')).length).toBe(transitionsBefore);
    expect(stateOf('badpass').state).toBe('auth_failed');
  }, 60_000);

  it('resolution switch mid-stream: recording continues without a gap at the new size', async () => {
    const cam = h.sim.camera('switch');
    const switchAt = Date.now();
    cam.faults.set({ altResolution: true });
    await waitFor('two segments after the switch', async () => (await segments.overlapping('switch', { startMs: switchAt + 2_000, endMs: Number.MAX_SAFE_INTEGER })).length >= 2, { timeoutMs: 30_000, intervalMs: 250 });
    const later = (await segments.overlapping('switch', { startMs: switchAt + 2_000, endMs: Number.MAX_SAFE_INTEGER })).at(-1)!;
    await waitFor('the segment to be uploaded', async () => (await h.store.stat(later.objectKey)) !== null, { timeoutMs: 10_000 });
    const chunks: Buffer[] = [];
    for await (const c of (await h.store.get(later.objectKey)) as Readable) chunks.push(c as Buffer);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'vigil-sw-')), 'late.mp4');
    writeFileSync(file, Buffer.concat(chunks));
    const probe = await ffprobe(file);
    expect(probe.streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 1280, height: 720 });
    const acc = await h.accounting('switch');
    expect(acc.problems).toEqual([]);
    expect(acc.gaps).toEqual([]);
    expect(stateOf('switch').state).toBe('recording');
  }, 60_000);
});
