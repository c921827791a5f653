import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { startRecorderHarness, type RecorderHarness } from '../helpers/recorder-harness.ts';
import { waitFor } from '../helpers/wait.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { SegmentsRepo, type SegmentRecord } from '../../src/db/segments-repo.ts';
import { ThumbnailService } from '../../src/thumbnail/thumbnail-service.ts';

// Thumbnails of a real H.265 recording (1920×1080, 2 s GOP, 4 s segments).
describe('thumbnails from real recordings', () => {
  let h: RecorderHarness;
  let segments: SegmentsRepo;
  let rows: SegmentRecord[];
  const all = { startMs: 0, endMs: Number.MAX_SAFE_INTEGER };

  beforeAll(async () => {
    h = await startRecorderHarness({ cameras: [defaultSpec(0, { id: 'hevc', video: 'h265', audio: 'none' })], segmentMs: 4_000 });
    segments = new SegmentsRepo(h.db, () => Date.now());
    await waitFor('two segments', async () => (await segments.overlapping('hevc', all)).length >= 2, { timeoutMs: 40_000, intervalMs: 250 });
    await h.recorder.stop();
    rows = await segments.overlapping('hevc', all);
  }, 90_000);
  afterAll(async () => {
    await h?.stop();
  });

  it.each([[undefined, 320, 180], [160, 160, 90], [640, 640, 360]] as const)('width %s: a JPEG that wide, in proportion', async (asked, width, height) => {
    const svc = new ThumbnailService({ store: h.store, segments });
    const at = rows[1]!.startMs + 2_500;
    const t = await svc.thumbnailAt('hevc', at, asked === undefined ? {} : { widthPx: asked });
    expect(t.jpeg.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))).toBe(true);
    const meta = await sharp(t.jpeg).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', width, height]);
    expect([t.widthPx, t.heightPx]).toEqual([width, height]);
    expect(t.objectKey).toBe(rows[1]!.objectKey);
    expect(t.frameMs).toBeLessThanOrEqual(at);
    expect(at - t.frameMs).toBeLessThan(2_100); // the keyframe before: at most one GOP back
    const stats = await sharp(t.jpeg).stats();
    expect(stats.channels[0]!.stdev).toBeGreaterThan(10); // a picture, not a blank frame
  });

  it('repeated and concurrent asks within one GOP cost one decode; another GOP costs one more', async () => {
    const svc = new ThumbnailService({ store: h.store, segments });
    const s = rows[1]!;
    const same = await Promise.all([100, 300, 700, 900, 1_500].map((d) => svc.thumbnailAt('hevc', s.startMs + d)));
    expect(svc.decodes).toBe(1);
    expect(new Set(same.map((t) => t.jpeg))).toHaveProperty('size', 1);
    await svc.thumbnailAt('hevc', s.startMs + 200);
    expect(svc.decodes).toBe(1);
    const other = await svc.thumbnailAt('hevc', s.startMs + 2_300);
    expect(svc.decodes).toBe(2);
    expect(other.frameMs).toBeGreaterThan(same[0]!.frameMs);
    expect(other.jpeg.equals(same[0]!.jpeg)).toBe(false);
  });

  it('outside the footage: not_found; a silly width: invalid_range', async () => {
    const svc = new ThumbnailService({ store: h.store, segments });
    await expect(svc.thumbnailAt('hevc', rows[0]!.startMs - 60_000)).rejects.toMatchObject({ code: 'not_found' });
    await expect(svc.thumbnailAt('hevc', rows[0]!.startMs + 100, { widthPx: 5 })).rejects.toMatchObject({ code: 'invalid_range' });
  });
});
