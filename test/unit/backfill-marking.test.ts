import { describe, expect, it } from 'vitest';
import { backfilledRanges } from '../../src/clip/backfilled-ranges.ts';
import { buildHlsPlaylist, type PlaylistSegment } from '../../src/playback/hls-playlist.ts';
import { buildManifest, type EvidenceManifest } from '../../src/evidence/manifest.ts';
import { checkManifest } from '../../src/evidence/manifest-check.ts';
import { readmeText } from '../../src/evidence/readme-text.ts';
import type { ClipInfo } from '../../src/clip/clip-types.ts';

// Footage recovered from the camera's own storage (segments.source = 'backfill') keeps its
// bytes but is marked wherever it is handed out: clip info, HLS playlists, evidence manifests.
const live = (startMs: number, durationMs: number) => ({ startMs, durationMs });
const back = (startMs: number, durationMs: number) => ({ startMs, durationMs, source: 'backfill' as const });

describe('backfilledRanges', () => {
  it.each([
    ['no backfill', [live(0, 10), live(10, 10)], { startMs: 0, endMs: 20 }, []],
    ['one backfilled segment', [live(0, 10), back(10, 10), live(20, 10)], { startMs: 0, endMs: 30 }, [{ startMs: 10, endMs: 20 }]],
    ['touching backfilled segments join', [back(0, 10), back(10, 10), live(20, 5), back(25, 5)], { startMs: 0, endMs: 30 }, [{ startMs: 0, endMs: 20 }, { startMs: 25, endMs: 30 }]],
    ['clipped to the range', [back(0, 10), back(10, 10)], { startMs: 5, endMs: 12 }, [{ startMs: 5, endMs: 12 }]],
    ['outside the range', [back(0, 10)], { startMs: 10, endMs: 20 }, []],
  ])('%s', (_n, segments, within, want) => {
    expect(backfilledRanges(segments, within)).toEqual(want);
  });
});

describe('HLS playlist marks backfilled stretches', () => {
  const T0 = Date.UTC(2026, 2, 3, 2, 40, 0);
  const seg = (i: number, source?: 'backfill'): PlaylistSegment => ({ objectKey: `k${i}`, startMs: T0 + i * 4_000, durationMs: 4_000, sizeBytes: 100_000, initBytes: 1312, ...(source ? { source } : {}) });
  it('one EXT-X-DATERANGE per backfilled stretch, before its first segment; the segments are listed as usual', () => {
    const text = buildHlsPlaylist({ segments: [seg(0), seg(1, 'backfill'), seg(2, 'backfill'), seg(3), seg(4, 'backfill')], segmentUrl: (s) => `/s/${s.objectKey}`, timeZone: 'Asia/Ho_Chi_Minh' });
    const lines = text.trim().split('\n');
    const ranges = lines.filter((l) => l.startsWith('#EXT-X-DATERANGE:'));
    expect(ranges).toEqual([
      '#EXT-X-DATERANGE:ID="backfill-' + (T0 + 4_000) + '",CLASS="org.vigil.backfill",START-DATE="2026-03-03T09:40:04.000+07:00",END-DATE="2026-03-03T09:40:12.000+07:00",X-VIGIL-SOURCE="backfill"',
      '#EXT-X-DATERANGE:ID="backfill-' + (T0 + 16_000) + '",CLASS="org.vigil.backfill",START-DATE="2026-03-03T09:40:16.000+07:00",END-DATE="2026-03-03T09:40:20.000+07:00",X-VIGIL-SOURCE="backfill"',
    ]);
    expect(lines[lines.indexOf(ranges[0]!) + 1]).toBe('#EXT-X-MAP:URI="/s/k1",BYTERANGE="1312@0"');
    expect(lines.filter((l) => l.startsWith('/s/'))).toEqual(['/s/k0', '/s/k1', '/s/k2', '/s/k3', '/s/k4']);
    expect(text).not.toContain('#EXT-X-DISCONTINUITY'); // one run: backfill joins live footage seamlessly
  });
  it('no marker without backfill', () => {
    expect(buildHlsPlaylist({ segments: [seg(0), seg(1)], segmentUrl: (s) => `/s/${s.objectKey}` })).not.toContain('DATERANGE');
  });
});

describe('evidence manifest lists the source of every segment', () => {
  const T0 = Date.UTC(2026, 2, 3, 2, 40);
  const SHA = 'ab'.repeat(32);
  const CLIP_SHA = 'cd'.repeat(32);
  const FP = '3f2a-91bc-07de-55aa-1234-5678-9abc-def0';
  const clip: ClipInfo = {
    cameraId: 'cam-3', askedStartMs: T0, askedEndMs: T0 + 30_000, actualStartMs: T0, actualEndMs: T0 + 30_000, gaps: [],
    segments: [
      { objectKey: 'a', sha256: SHA, startMs: T0, durationMs: 10_000 },
      { objectKey: 'b', sha256: SHA, startMs: T0 + 10_000, durationMs: 10_000, source: 'backfill' },
      { objectKey: 'c', sha256: SHA, startMs: T0 + 20_000, durationMs: 10_000 },
    ],
    backfilled: [{ startMs: T0 + 10_000, endMs: T0 + 20_000 }],
  };
  const build = (): EvidenceManifest => buildManifest({
    packageId: 'ev-1', createdMs: T0 + 3_600_000, timeZone: 'Asia/Ho_Chi_Minh', vigilVersion: '0.1.0',
    camera: { id: 'cam-3', name: 'Quầy 3', siteId: null, siteName: null, clockOffsetMs: 2_340, clockOffsetMeasuredMs: T0 - 60_000 },
    case: { id: 'c1', reference: 'KN-1', title: 't' }, exportedBy: { userId: 'u', username: 'lan' }, reason: 'complaint', clip,
    clipFiles: [{ name: 'clip.mp4', contentType: 'video/mp4', sizeBytes: 10, sha256: CLIP_SHA }], fingerprint: FP,
  });
  const facts = { files: new Map([['clip.mp4', { sizeBytes: 10, sha256: CLIP_SHA }]]), fingerprint: FP };

  it('per segment source, the backfilled seconds and the latest clock offset with when it was measured', () => {
    const m = build();
    expect(m.sourceSegments.map((s) => s.source)).toEqual(['live', 'backfill', 'live']);
    expect(m.backfilled).toEqual([{ start: { iso: '2026-03-03T09:40:10.000+07:00', epochMs: T0 + 10_000 }, end: { iso: '2026-03-03T09:40:20.000+07:00', epochMs: T0 + 20_000 } }]);
    expect(m.camera).toEqual({ id: 'cam-3', name: 'Quầy 3', clockOffsetMs: 2_340, clockOffsetMeasuredAt: { iso: '2026-03-03T09:39:00.000+07:00', epochMs: T0 - 60_000 } });
    expect(checkManifest(JSON.parse(JSON.stringify(m)), facts)).toMatchObject({ ok: true });
    const readme = readmeText(m);
    expect(readme).toContain('Khôi phục từ thẻ nhớ:   1 khoảng');
    expect(readme).toContain('Recovered from card: 1, recovered from the camera\'s own storage');
    expect(readme).toContain('2026-03-03T09:40:10.000+07:00 – 2026-03-03T09:40:20.000+07:00');
    expect(readme).toContain('measured at 2026-03-03T09:39:00.000+07:00');
  });

  it('an older package without sources or backfilled parts still checks', () => {
    const m = JSON.parse(JSON.stringify(build()));
    delete m.backfilled;
    for (const s of m.sourceSegments) delete s.source;
    expect(checkManifest(m, facts)).toMatchObject({ ok: true });
  });

  it.each<[string, (m: any) => void, RegExp]>([
    ['a segment relabelled live', (m) => (m.sourceSegments[1].source = 'live'), /backfilled\.0: is not the time of the source segments marked backfill/],
    ['a live segment relabelled backfill', (m) => (m.sourceSegments[2].source = 'backfill'), /backfilled\.0: is not the time/],
    ['the backfilled list dropped', (m) => delete m.backfilled, /backfilled: is missing/],
    ['the backfilled list emptied', (m) => (m.backfilled = []), /backfilled: lists 0 parts, the source segments marked backfill make 1/],
    ['an unknown source', (m) => (m.sourceSegments[0].source = 'sd'), /sourceSegments\.0\.source/],
  ])('refuses %s', (_n, mutate, why) => {
    const m = JSON.parse(JSON.stringify(build()));
    mutate(m);
    const v = checkManifest(m, facts);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.why).toMatch(why);
  });
});
