import { describe, expect, it } from 'vitest';
import { buildHlsPlaylist, playlistRuns, type PlaylistSegment } from '../../src/playback/hls-playlist.ts';
import { PLAYBACK_LEAD_MS, playbackShifts } from '../../src/playback/playback-decode-time.ts';

const T0 = Date.UTC(2026, 2, 3, 2, 40, 0);
const seg = (startS: number, durMs: number, o: Partial<PlaylistSegment> = {}): PlaylistSegment => ({
  objectKey: `cam-1/2026/03/03/02/${T0 + startS * 1000}-${durMs}.mp4`,
  startMs: T0 + startS * 1000,
  durationMs: durMs,
  sizeBytes: 1_000_000 + Math.round(startS),
  initBytes: 1312,
  ...o,
});
const url = (s: PlaylistSegment, c: { runStartMs: number; firstInRun: boolean; runIndex: number }) => `/seg/${s.startMs}?run=${c.runStartMs}&first=${c.firstInRun ? 1 : 0}`;

describe('HLS playlist text', () => {
  it('one run, then a gap: map and media byte ranges per segment, date per run, discontinuity at the gap', () => {
    const text = buildHlsPlaylist({ segments: [seg(4.182, 4000), seg(0, 4182), seg(12, 3500)], segmentUrl: url });
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:7',
        '#EXT-X-TARGETDURATION:5',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-PROGRAM-DATE-TIME:2026-03-03T02:40:00.000Z',
        `#EXT-X-MAP:URI="/seg/${T0}?run=${T0}&first=1",BYTERANGE="1312@0"`,
        '#EXTINF:4.182,',
        '#EXT-X-BYTERANGE:998688@1312',
        `/seg/${T0}?run=${T0}&first=1`,
        `#EXT-X-MAP:URI="/seg/${T0 + 4182}?run=${T0}&first=0",BYTERANGE="1312@0"`,
        '#EXTINF:4.000,',
        '#EXT-X-BYTERANGE:998692@1312',
        `/seg/${T0 + 4182}?run=${T0}&first=0`,
        '#EXT-X-DISCONTINUITY',
        '#EXT-X-PROGRAM-DATE-TIME:2026-03-03T02:40:12.000Z',
        `#EXT-X-MAP:URI="/seg/${T0 + 12000}?run=${T0 + 12000}&first=1",BYTERANGE="1312@0"`,
        '#EXTINF:3.500,',
        '#EXT-X-BYTERANGE:998700@1312',
        `/seg/${T0 + 12000}?run=${T0 + 12000}&first=1`,
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
  });

  it('dates in the configured zone', () => {
    expect(buildHlsPlaylist({ segments: [seg(0, 4000)], segmentUrl: url, timeZone: 'Asia/Ho_Chi_Minh' })).toContain('#EXT-X-PROGRAM-DATE-TIME:2026-03-03T09:40:00.000+07:00');
  });

  it.each([
    ['contiguous, same moov', [seg(0, 4000), seg(4, 4000), seg(8, 4000)], [3]],
    ['a hole of 1 ms', [seg(0, 4000), seg(4.001, 4000)], [1, 1]],
    ['the moov changes size (new parameter sets or codec)', [seg(0, 4000), seg(4, 4000, { initBytes: 1400 })], [1, 1]],
    ['the caller says the format changed', [seg(0, 4000, { formatKey: '1920x1080' }), seg(4, 4000, { formatKey: '1280x720' }), seg(8, 4000, { formatKey: '1280x720' })], [1, 2]],
  ] as const)('runs: %s', (_why, segments, lengths) => {
    expect(playlistRuns(segments).map((r) => r.segments.length)).toEqual(lengths);
  });

  it('refuses a URL that would break the playlist', () => {
    expect(() => buildHlsPlaylist({ segments: [seg(0, 4000)], segmentUrl: () => '/a"b' })).toThrow(/quote/);
  });
});

describe('playback decode times', () => {
  const video = (first: number, end: number) => ({ trackId: 1, timescale: 12800, firstTicks: first, endTicks: end });
  const audio = (first: number, end: number) => ({ trackId: 2, timescale: 8000, firstTicks: first, endTicks: end });
  const lead = (PLAYBACK_LEAD_MS * 12800) / 1000;

  it.each([
    // A run's second segment starts 4182 ms into the run: video and audio both start there.
    ['steady segment', { startMs: T0 + 4182, durationMs: 4000, runStartMs: T0, firstInRun: false }, [video(0, 51200), audio(0, 32512)], [[1, lead + 53530], [2, (PLAYBACK_LEAD_MS * 8) + 33456]]],
    // The first segment is anchored to its end: index says 4182 ms, media lasts 4128 ms.
    ['first of its run, media shorter than indexed', { startMs: T0, durationMs: 4182, runStartMs: T0, firstInRun: true }, [video(0, 52839), audio(0, 33792)], [[1, lead + 53530 - 52839], [2, Math.floor(((lead + 53530 - 52839) * 8000) / 12800)]]],
    ['first of its run, media longer than indexed', { startMs: T0, durationMs: 3828, runStartMs: T0, firstInRun: true }, [video(0, 51200)], [[1, lead + 48998 - 51200]]],
    ['tracks not starting at 0 keep their offsets', { startMs: T0 + 8000, durationMs: 4000, runStartMs: T0, firstInRun: false }, [video(512, 51712), audio(0, 32000)], [[1, lead + 102400], [2, PLAYBACK_LEAD_MS * 8 + 64000]]],
  ] as const)('%s', (_why, placement, tracks, want) => {
    expect([...playbackShifts(placement, { tracks: [...tracks] }, 1).entries()]).toEqual(want);
  });

  it('consecutive steady segments meet exactly when the index matches the media', () => {
    const a = playbackShifts({ startMs: T0 + 4182, durationMs: 4000, runStartMs: T0, firstInRun: false }, { tracks: [video(0, 51200)] }, 1).get(1)!;
    const b = playbackShifts({ startMs: T0 + 8182, durationMs: 4000, runStartMs: T0, firstInRun: false }, { tracks: [video(0, 51200)] }, 1).get(1)!;
    const first = playbackShifts({ startMs: T0, durationMs: 4182, runStartMs: T0, firstInRun: true }, { tracks: [video(0, 52839)] }, 1).get(1)!;
    expect(first + 52839).toBe(a); // the end-anchored first segment meets the second
    expect(a + 51200).toBe(b);
  });
});
