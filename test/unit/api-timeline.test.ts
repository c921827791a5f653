import { describe, expect, it } from 'vitest';
import { buildTimeline, JOIN_TOLERANCE_MS, type TimelineGap, type TimelineSegment } from '../../api/timeline.ts';

const seg = (startMs: number, durationMs = 10): TimelineSegment => ({ startMs, durationMs });
const back = (startMs: number, durationMs = 10): TimelineSegment => ({ startMs, durationMs, source: 'backfill' });
const gap = (startMs: number, endMs: number, reason = 'camera_unreachable'): TimelineGap => ({ startMs, endMs, reason });
const T = JOIN_TOLERANCE_MS;

describe('buildTimeline', () => {
  it.each<[string, TimelineSegment[], TimelineGap[], { startMs: number; endMs: number }, unknown]>([
    ['nothing at all', [], [], { startMs: 0, endMs: 100 }, { spans: [], gaps: [], unknown: [{ startMs: 0, endMs: 100 }] }],
    ['chained segments become one span', [seg(0), seg(10), seg(20)], [], { startMs: 0, endMs: 30 }, { spans: [{ startMs: 0, endMs: 30, segments: 3, source: 'live' }], gaps: [], unknown: [] }],
    ['input order does not matter', [seg(20), seg(0), seg(10)], [], { startMs: 0, endMs: 30 }, { spans: [{ startMs: 0, endMs: 30, segments: 3, source: 'live' }], gaps: [], unknown: [] }],
    ['a hole within the tolerance stays one span', [seg(0, 10_000), seg(10_000 + T, 10_000)], [], { startMs: 0, endMs: 20_000 + T }, { spans: [{ startMs: 0, endMs: 20_000 + T, segments: 2, source: 'live' }], gaps: [], unknown: [] }],
    ['a hole beyond it splits, and is unknown without a gap row', [seg(0, 10_000), seg(10_001 + T, 10_000)], [], { startMs: 0, endMs: 20_001 + T }, {
      spans: [{ startMs: 0, endMs: 10_000, segments: 1, source: 'live' }, { startMs: 10_001 + T, endMs: 20_001 + T, segments: 1, source: 'live' }],
      gaps: [],
      unknown: [{ startMs: 10_000, endMs: 10_001 + T }],
    }],
    ['a recorded gap splits spans and carries its reason', [seg(0, 10_000), seg(60_000, 10_000)], [gap(10_000, 60_000)], { startMs: 0, endMs: 70_000 }, {
      spans: [{ startMs: 0, endMs: 10_000, segments: 1, source: 'live' }, { startMs: 60_000, endMs: 70_000, segments: 1, source: 'live' }],
      gaps: [{ startMs: 10_000, endMs: 60_000, reason: 'camera_unreachable' }],
      unknown: [],
    }],
    ['spans and gaps are clipped to the range', [seg(0, 10_000), seg(60_000, 10_000)], [gap(10_000, 60_000)], { startMs: 5_000, endMs: 65_000 }, {
      spans: [{ startMs: 5_000, endMs: 10_000, segments: 1, source: 'live' }, { startMs: 60_000, endMs: 65_000, segments: 1, source: 'live' }],
      gaps: [{ startMs: 10_000, endMs: 60_000, reason: 'camera_unreachable' }],
      unknown: [],
    }],
    ['touching gaps of one reason join; of different reasons stay apart', [], [gap(0, 10, 'stream_stalled'), gap(10, 20, 'stream_stalled'), gap(20, 30, 'camera_unreachable')], { startMs: 0, endMs: 30 }, {
      spans: [],
      gaps: [{ startMs: 0, endMs: 20, reason: 'stream_stalled' }, { startMs: 20, endMs: 30, reason: 'camera_unreachable' }],
      unknown: [],
    }],
    ['before the first and after the last footage is unknown', [seg(40, 20)], [], { startMs: 0, endMs: 100 }, {
      spans: [{ startMs: 40, endMs: 60, segments: 1, source: 'live' }],
      gaps: [],
      unknown: [{ startMs: 0, endMs: 40 }, { startMs: 60, endMs: 100 }],
    }],
    ['backfilled segments are their own span, never merged with live neighbours', [seg(0), seg(10), back(20), back(30), seg(40)], [], { startMs: 0, endMs: 50 }, {
      spans: [{ startMs: 0, endMs: 20, segments: 2, source: 'live' }, { startMs: 20, endMs: 40, segments: 2, source: 'backfill' }, { startMs: 40, endMs: 50, segments: 1, source: 'live' }],
      gaps: [],
      unknown: [],
    }],
    ['a backfilled run overlapping live footage by a little starts where the live span ends', [seg(0, 100), back(95, 100)], [], { startMs: 0, endMs: 195 }, {
      spans: [{ startMs: 0, endMs: 100, segments: 1, source: 'live' }, { startMs: 100, endMs: 195, segments: 1, source: 'backfill' }],
      gaps: [],
      unknown: [],
    }],
    ['backfill that closed part of a gap: footage, then the rest of the gap', [seg(0, 10_000), back(10_000, 20_000), seg(60_000, 10_000)], [gap(30_000, 60_000)], { startMs: 0, endMs: 70_000 }, {
      spans: [{ startMs: 0, endMs: 10_000, segments: 1, source: 'live' }, { startMs: 10_000, endMs: 30_000, segments: 1, source: 'backfill' }, { startMs: 60_000, endMs: 70_000, segments: 1, source: 'live' }],
      gaps: [{ startMs: 30_000, endMs: 60_000, reason: 'camera_unreachable' }],
      unknown: [],
    }],
    ['segments and gaps wholly outside the range are left out', [seg(0, 10), seg(200, 10)], [gap(300, 400)], { startMs: 50, endMs: 150 }, { spans: [], gaps: [], unknown: [{ startMs: 50, endMs: 150 }] }],
  ])('%s', (_name, segments, gaps, range, want) => {
    expect(buildTimeline(range, segments, gaps)).toEqual(want);
  });

  it('keeps a whole day of 10 s segments with a few outages to a handful of items', () => {
    const day = 86_400_000;
    const segments: TimelineSegment[] = [];
    const gaps: TimelineGap[] = [];
    for (let t = 0; t < day; t += 10_000) {
      if (t % 7_200_000 === 3_600_000) {
        gaps.push(gap(t, t + 10_000, 'stream_stalled'));
        continue;
      }
      segments.push(seg(t, 10_000));
    }
    const tl = buildTimeline({ startMs: 0, endMs: day }, segments, gaps);
    expect(segments.length).toBe(8628);
    expect(tl.spans.length + tl.gaps.length + tl.unknown.length).toBe(25);
    expect(tl.spans.reduce((n, s) => n + s.segments, 0)).toBe(8628);
  });
});
