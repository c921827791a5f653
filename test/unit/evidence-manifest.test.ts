import { describe, expect, it } from 'vitest';
import type { ClipInfo } from '../../src/clip/clip-types.ts';
import { checkManifest, MAX_LEAD_IN_MS } from '../../src/evidence/manifest-check.ts';
import { buildManifest, clipFileName, type EvidenceManifest } from '../../src/evidence/manifest.ts';

const T0 = Date.UTC(2026, 2, 3, 2, 40);
const TZ = 'Asia/Ho_Chi_Minh';
const SHA = 'ab'.repeat(32);
const CLIP_SHA = 'cd'.repeat(32);
const FP = '3f2a-91bc-07de-55aa-1234-5678-9abc-def0';

const clip: ClipInfo = {
  cameraId: 'cam-3',
  askedStartMs: T0,
  askedEndMs: T0 + 60_000,
  actualStartMs: T0 - 1_200,
  actualEndMs: T0 + 59_960,
  gaps: [{ startMs: T0 + 10_000, endMs: T0 + 12_000, reason: 'stream_stalled' }],
  segments: [
    { objectKey: 'cam-3/a.mp4', sha256: SHA, startMs: T0 - 5_000, durationMs: 30_000 },
    { objectKey: 'cam-3/b.mp4', sha256: SHA, startMs: T0 + 25_000, durationMs: 40_000 },
  ],
};

function good(): EvidenceManifest {
  return buildManifest({
    packageId: 'ev-1',
    createdMs: T0 + 3_600_000,
    timeZone: TZ,
    vigilVersion: '0.1.0',
    camera: { id: 'cam-3', name: 'Quầy 3', siteId: 'ward-x', siteName: 'Phường X', clockOffsetMs: -420, clockOffsetMeasuredMs: null },
    case: { id: 'case-1', reference: 'KN-1', title: 't' },
    exportedBy: { userId: 'u1', username: 'lan' },
    reason: 'complaint',
    clip,
    clipFiles: [{ name: 'clip.mp4', contentType: 'video/mp4', sizeBytes: 1000, sha256: CLIP_SHA }],
    fingerprint: FP,
  });
}
const facts = { files: new Map([['clip.mp4', { sizeBytes: 1000, sha256: CLIP_SHA }]]), fingerprint: FP, folder: 'vigil-evidence-ev-1' };

describe('buildManifest', () => {
  it('writes every time in the office zone and in epoch ms', () => {
    const m = good();
    expect(m.askedRange.start).toEqual({ iso: '2026-03-03T09:40:00.000+07:00', epochMs: T0 });
    expect(m.actualRange.start).toEqual({ iso: '2026-03-03T09:39:58.800+07:00', epochMs: T0 - 1200 });
    expect(m.gaps).toEqual([{ start: { iso: '2026-03-03T09:40:10.000+07:00', epochMs: T0 + 10_000 }, end: { iso: '2026-03-03T09:40:12.000+07:00', epochMs: T0 + 12_000 }, reason: 'stream_stalled' }]);
    expect(m.camera).toEqual({ id: 'cam-3', name: 'Quầy 3', clockOffsetMs: -420, clockOffsetMeasuredAt: null });
    expect(checkManifest(JSON.parse(JSON.stringify(m)), facts)).toMatchObject({ ok: true });
  });

  it('names clips by camera and local start time', () => {
    expect(clipFileName('cam-3', T0 - 1200, TZ)).toBe('cam-3_20260303-093958.mp4');
  });
});

describe('checkManifest finds the first inconsistency', () => {
  const cases: Array<[string, (m: any) => void, RegExp]> = [
    ['another format', (m) => (m.format = 'other/1'), /^format:/],
    ['an unknown field', (m) => (m.extra = 1), /extra/],
    ['ISO and epoch disagree', (m) => (m.askedRange.start.iso = '2026-03-03T09:41:00.000+07:00'), /askedRange\.start: .* not 1772505600000 ms/],
    ['an ISO time without offset', (m) => (m.createdAt.iso = '2026-03-03T10:40:00'), /createdAt: .*offset/],
    ['empty asked range', (m) => setRange(m.askedRange, T0, T0), /askedRange: ends before/],
    ['actual ends after asked by more than a segment', (m) => setRange(m.actualRange, T0 - 1200, T0 + 60_000 + MAX_LEAD_IN_MS + 1), /actualRange: ends \d+ ms after the asked end/],
    ['actual outside asked', (m) => setRange(m.actualRange, T0 + 60_000, T0 + 60_010), /actualRange: shares no time/],
    ['lead-in longer than a segment', (m) => setRange(m.actualRange, T0 - MAX_LEAD_IN_MS - 1, T0 + 59_000), /lead-in/],
    ['no source segments', (m) => (m.sourceSegments = []), /sourceSegments: is empty/],
    ['segments out of order', (m) => m.sourceSegments.reverse(), /sourceSegments\.1: starts before/],
    ['segments not covering the start', (m) => setInstant(m.sourceSegments[0].start, T0), /first segment starts after/],
    ['segments not covering the end', (m) => (m.sourceSegments[1].durationMs = 1000), /last segment ends before/],
    ['a bad segment hash', (m) => (m.sourceSegments[0].sha256 = 'xyz'), /sourceSegments\.0\.sha256/],
    ['a gap outside the clip', (m) => setRange(m.gaps[0], T0 + 59_000, T0 + 61_000), /gaps\.0: ends after the clip/],
    ['overlapping gaps', (m) => m.gaps.push(structuredClone(m.gaps[0])), /gaps\.1: overlaps/],
    ['a gap without reason', (m) => (m.gaps[0].reason = ' '), /gaps\.0\.reason/],
    ['no clip', (m) => (m.clips = []), /clips: is empty/],
    ['a clip not in the package', (m) => (m.clips[0].name = 'other.mp4'), /other\.mp4 is not in the package/],
    ['a clip of another size', (m) => (m.clips[0].sizeBytes = 999), /has 1000 bytes, the manifest says 999/],
    ['a clip of another hash', (m) => (m.clips[0].sha256 = SHA), /SHA-256 of clip\.mp4/],
    ['another key fingerprint', (m) => (m.signing.fingerprint = '0000-0000-0000-0000-0000-0000-0000-0000'), /signing\.fingerprint/],
    ['another package id', (m) => (m.packageId = 'ev-2'), /packageId: ev-2 does not match/],
    ['no reason', (m) => (m.reason = ''), /^reason:/],
    ['no exporter', (m) => (m.exportedBy.username = ''), /exportedBy\.username/],
  ];
  it.each(cases)('%s', (_n, mutate, why) => {
    const m = structuredClone(good());
    mutate(m);
    const v = checkManifest(m, facts);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.why).toMatch(why);
  });

  it('accepts an actual start after the asked one (the asked start fell in a gap)', () => {
    const m = structuredClone(good()) as any;
    setRange(m.actualRange, T0 + 2_000, T0 + 59_960);
    m.gaps = [];
    expect(checkManifest(m, facts)).toMatchObject({ ok: true });
  });

  it('accepts an actual end after the asked one (the clip ends with the whole fragment holding the asked end)', () => {
    const m = structuredClone(good()) as any;
    setRange(m.actualRange, T0 - 1_200, T0 + 60_640);
    expect(checkManifest(m, facts)).toMatchObject({ ok: true });
  });

  it('does not check the folder name of an extracted (maybe renamed) folder', () => {
    expect(checkManifest(good(), { ...facts, folder: undefined })).toMatchObject({ ok: true });
  });
});

function setInstant(i: { iso: string; epochMs: number }, ms: number) {
  const d = new Date(ms + 7 * 3_600_000).toISOString().slice(0, -1);
  i.iso = `${d}+07:00`;
  i.epochMs = ms;
}
function setRange(r: { start: { iso: string; epochMs: number }; end: { iso: string; epochMs: number } }, a: number, b: number) {
  setInstant(r.start, a);
  setInstant(r.end, b);
}
