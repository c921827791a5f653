import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import {
  DEFAULT_OFFICE_SCHEDULE,
  describeSchedule,
  localDaysRange,
  localTimeToUtcMs,
  officeIntervals,
  parseLocalDate,
  scheduleProblems,
  type OfficeSchedule,
} from '../../src/report/office-schedule.ts';
import { buildUptimeReport, type UptimeReportInput } from '../../src/report/uptime-report.ts';

const MIN = 60_000;
const H = 60 * MIN;
const HCM = 'Asia/Ho_Chi_Minh';

/** Local wall time in Ho Chi Minh City, "2026-03-02 10:30" → epoch ms. */
function at(text: string, tz = HCM): number {
  const [date, time = '00:00'] = text.split(' ');
  const [h, m] = time.split(':').map(Number);
  return localTimeToUtcMs(parseLocalDate(date!)!, h! * 60 + m!, tz);
}
/** Segments of `ms` each covering [from, to). */
function footage(cameraId: string, from: string, to: string, segMs = 10 * MIN) {
  const out: Array<{ cameraId: string; startMs: number; durationMs: number }> = [];
  const [a, b] = [at(from), at(to)];
  for (let t = a; t < b; t += segMs) out.push({ cameraId, startMs: t, durationMs: Math.min(segMs, b - t) });
  return out;
}
const gap = (cameraId: string, from: string, to: string, reason: string) => ({ cameraId, startMs: at(from), endMs: at(to), reason });

// 2026-03-02 is a Monday.
const base = (over: Partial<UptimeReportInput>): UptimeReportInput => ({
  range: localDaysRange('2026-03-02', '2026-03-02', HCM),
  nowMs: at('2026-03-10 12:00'),
  schedule: DEFAULT_OFFICE_SCHEDULE,
  sites: [{ id: 'ward-x', name: 'Phường X' }],
  cameras: [{ id: 'cam-1', name: 'Quầy 1', siteId: 'ward-x' }],
  segments: [],
  gaps: [],
  ...over,
});

describe('office hours', () => {
  it.each<[string, string, string, Partial<OfficeSchedule>, number]>([
    ['a plain Monday', '2026-03-02', '2026-03-02', {}, 8 * H],
    ['a whole week (Mon–Sun)', '2026-03-02', '2026-03-08', {}, 40 * H],
    ['a weekend', '2026-03-07', '2026-03-08', {}, 0],
    ['a holiday (30/4) and May Day', '2026-04-29', '2026-05-01', { holidays: ['2026-04-30', '2026-05-01'] }, 8 * H],
    ['a make-up Saturday', '2026-03-07', '2026-03-07', { extraWorkdays: ['2026-03-07'] }, 8 * H],
    ['a holiday on the make-up list stays a holiday', '2026-03-07', '2026-03-07', { extraWorkdays: ['2026-03-07'], holidays: ['2026-03-07'] }, 0],
    ['one long shift', '2026-03-02', '2026-03-02', { periods: [{ start: '00:00', end: '24:00' }] }, 24 * H],
  ])('%s', (_name, from, to, over, expected) => {
    const s = { ...DEFAULT_OFFICE_SCHEDULE, ...over };
    const total = officeIntervals(localDaysRange(from, to, HCM), s).reduce((n, r) => n + r.endMs - r.startMs, 0);
    expect(total).toBe(expected);
  });

  it('gives the local periods as UTC instants (UTC+7)', () => {
    expect(officeIntervals(localDaysRange('2026-03-02', '2026-03-02', HCM), DEFAULT_OFFICE_SCHEDULE)).toEqual([
      { startMs: Date.UTC(2026, 2, 2, 0, 0), endMs: Date.UTC(2026, 2, 2, 4, 0) },
      { startMs: Date.UTC(2026, 2, 2, 6, 0), endMs: Date.UTC(2026, 2, 2, 10, 0) },
    ]);
  });

  it('follows a DST change in zones that have one (Berlin springs forward on 29/3/2026)', () => {
    const s: OfficeSchedule = { ...DEFAULT_OFFICE_SCHEDULE, timeZone: 'Europe/Berlin', weekdays: [1, 2, 3, 4, 5, 6, 7], periods: [{ start: '07:00', end: '11:00' }] };
    const [sat, sun] = officeIntervals(localDaysRange('2026-03-28', '2026-03-29', 'Europe/Berlin'), s);
    expect(sat).toEqual({ startMs: Date.UTC(2026, 2, 28, 6, 0), endMs: Date.UTC(2026, 2, 28, 10, 0) });
    expect(sun).toEqual({ startMs: Date.UTC(2026, 2, 29, 5, 0), endMs: Date.UTC(2026, 2, 29, 9, 0) });
  });

  it('clips to a partial range', () => {
    const r = { startMs: at('2026-03-02 10:00'), endMs: at('2026-03-02 14:00') };
    expect(officeIntervals(r, DEFAULT_OFFICE_SCHEDULE).map((i) => (i.endMs - i.startMs) / MIN)).toEqual([60, 60]);
  });

  it.each<[Partial<OfficeSchedule>, RegExp | null]>([
    [{}, null],
    [{ periods: [{ start: '11:00', end: '07:00' }] }, /must end after it starts/],
    [{ periods: [{ start: '7:00', end: '11:00' }] }, /"HH:mm"/],
    [{ periods: [{ start: '07:00', end: '12:00' }, { start: '11:30', end: '17:00' }] }, /overlap/],
    [{ weekdays: [0] }, /1 \(Monday\) to 7/],
    [{ holidays: ['2026-02-30'] }, /real date/],
  ])('schedule problems %#', (over, expected) => {
    const problems = scheduleProblems({ ...DEFAULT_OFFICE_SCHEDULE, ...over });
    if (expected === null) expect(problems).toEqual([]);
    else expect(problems.join('\n')).toMatch(expected);
  });

  it('describes itself in Vietnamese and English', () => {
    expect(describeSchedule(DEFAULT_OFFICE_SCHEDULE, 'vi')).toBe('07:00–11:00, 13:00–17:00, thứ Hai–thứ Sáu');
    expect(describeSchedule(DEFAULT_OFFICE_SCHEDULE, 'en')).toBe('07:00–11:00, 13:00–17:00, Monday–Friday');
  });

  it('rejects malformed or reversed report days', () => {
    expect(() => localDaysRange('2026-3-2', '2026-03-02', HCM)).toThrow(/YYYY-MM-DD/);
    expect(() => localDaysRange('2026-03-05', '2026-03-02', HCM)).toThrow(/before it starts/);
  });
});

describe('buildUptimeReport', () => {
  const clock = new ManualClock(at('2026-03-10 12:00'));

  it.each<[string, Partial<UptimeReportInput>, { officeMin: number; recordedMin: number; backfilledMin?: number; gaps: Record<string, number>; unaccountedMin: number; outages: number; longest: [string, string, number] | null }]>([
    [
      'a fully recorded Monday',
      { segments: footage('cam-1', '2026-03-02 00:00', '2026-03-03 00:00') },
      { officeMin: 480, recordedMin: 480, gaps: {}, unaccountedMin: 0, outages: 0, longest: null },
    ],
    [
      'an outage across lunch is one outage with only its office minutes counted',
      {
        segments: [...footage('cam-1', '2026-03-02 00:00', '2026-03-02 10:30'), ...footage('cam-1', '2026-03-02 13:30', '2026-03-03 00:00')],
        gaps: [gap('cam-1', '2026-03-02 10:30', '2026-03-02 13:30', 'camera_unreachable')],
      },
      { officeMin: 480, recordedMin: 420, gaps: { camera_unreachable: 60 }, unaccountedMin: 0, outages: 1, longest: ['2026-03-02 10:30', '2026-03-02 13:30', 60] },
    ],
    [
      'an outage across midnight counts the evening and the next morning',
      {
        range: localDaysRange('2026-03-02', '2026-03-03', HCM),
        segments: [...footage('cam-1', '2026-03-02 00:00', '2026-03-02 16:00'), ...footage('cam-1', '2026-03-03 08:00', '2026-03-04 00:00')],
        gaps: [gap('cam-1', '2026-03-02 16:00', '2026-03-03 08:00', 'stream_stalled')],
      },
      { officeMin: 960, recordedMin: 840, gaps: { stream_stalled: 120 }, unaccountedMin: 0, outages: 1, longest: ['2026-03-02 16:00', '2026-03-03 08:00', 120] },
    ],
    [
      'an outage on a holiday costs nothing',
      {
        range: localDaysRange('2026-04-29', '2026-04-30', HCM),
        schedule: { ...DEFAULT_OFFICE_SCHEDULE, holidays: ['2026-04-30'] },
        segments: footage('cam-1', '2026-04-29 00:00', '2026-04-30 00:00'),
        gaps: [gap('cam-1', '2026-04-30 00:00', '2026-05-01 00:00', 'recorder_down')],
        nowMs: at('2026-05-02 12:00'),
      },
      { officeMin: 480, recordedMin: 480, gaps: {}, unaccountedMin: 0, outages: 0, longest: null },
    ],
    [
      'a night-only outage (cameras switched off after hours) costs nothing',
      {
        range: localDaysRange('2026-03-02', '2026-03-03', HCM),
        segments: [...footage('cam-1', '2026-03-02 06:30', '2026-03-02 17:30'), ...footage('cam-1', '2026-03-03 06:30', '2026-03-03 17:30')],
        gaps: [gap('cam-1', '2026-03-02 17:30', '2026-03-03 06:30', 'camera_unreachable')],
      },
      { officeMin: 960, recordedMin: 960, gaps: {}, unaccountedMin: 0, outages: 0, longest: null },
    ],
    [
      'a partial day counts only what has passed; an outage still going on is unaccounted',
      {
        nowMs: at('2026-03-02 09:30'),
        segments: footage('cam-1', '2026-03-02 00:00', '2026-03-02 09:00'),
      },
      { officeMin: 150, recordedMin: 120, gaps: {}, unaccountedMin: 30, outages: 1, longest: ['2026-03-02 09:00', '2026-03-02 09:30', 30] },
    ],
    [
      'a camera installed at 13:00 is not blamed for the morning',
      {
        cameras: [{ id: 'cam-1', name: 'Quầy 1', siteId: 'ward-x', sinceMs: at('2026-03-02 13:00') }],
        segments: footage('cam-1', '2026-03-02 13:00', '2026-03-03 00:00'),
      },
      { officeMin: 240, recordedMin: 240, gaps: {}, unaccountedMin: 0, outages: 0, longest: null },
    ],
    [
      'a cause change inside one outage: one outage, minutes split by reason',
      {
        segments: [...footage('cam-1', '2026-03-02 00:00', '2026-03-02 08:00'), ...footage('cam-1', '2026-03-02 09:00', '2026-03-03 00:00')],
        gaps: [gap('cam-1', '2026-03-02 08:00', '2026-03-02 08:01', 'stream_error'), gap('cam-1', '2026-03-02 08:01', '2026-03-02 09:00', 'camera_unreachable')],
      },
      { officeMin: 480, recordedMin: 420, gaps: { stream_error: 1, camera_unreachable: 59 }, unaccountedMin: 0, outages: 1, longest: ['2026-03-02 08:00', '2026-03-02 09:00', 60] },
    ],
    [
      'the longest outage is the one holding most office time, not the longest in wall time',
      {
        range: localDaysRange('2026-03-02', '2026-03-03', HCM),
        segments: [
          ...footage('cam-1', '2026-03-02 00:00', '2026-03-02 08:00'),
          ...footage('cam-1', '2026-03-02 08:40', '2026-03-02 16:50'),
          ...footage('cam-1', '2026-03-03 07:10', '2026-03-04 00:00'),
        ],
        gaps: [gap('cam-1', '2026-03-02 08:00', '2026-03-02 08:40', 'stream_stalled'), gap('cam-1', '2026-03-02 16:50', '2026-03-03 07:10', 'camera_unreachable')],
      },
      { officeMin: 960, recordedMin: 900, gaps: { stream_stalled: 40, camera_unreachable: 20 }, unaccountedMin: 0, outages: 2, longest: ['2026-03-02 08:00', '2026-03-02 08:40', 40] },
    ],
    [
      'footage removed by retention still counts as recorded',
      {
        segments: footage('cam-1', '2026-03-02 12:00', '2026-03-03 00:00'),
        expired: [{ cameraId: 'cam-1', startMs: at('2026-03-02 00:00'), endMs: at('2026-03-02 12:00') }],
      },
      { officeMin: 480, recordedMin: 480, gaps: {}, unaccountedMin: 0, outages: 0, longest: null },
    ],
    [
      'a gap row overlapping footage never subtracts recorded time',
      {
        segments: footage('cam-1', '2026-03-02 00:00', '2026-03-03 00:00'),
        gaps: [gap('cam-1', '2026-03-02 09:00', '2026-03-02 09:10', 'stream_error')],
      },
      { officeMin: 480, recordedMin: 480, gaps: {}, unaccountedMin: 0, outages: 0, longest: null },
    ],
    [
      'footage recovered from the camera storage counts as recorded, and is told apart; the gap it closed is gone',
      {
        segments: [
          ...footage('cam-1', '2026-03-02 00:00', '2026-03-02 09:00'),
          ...footage('cam-1', '2026-03-02 09:00', '2026-03-02 09:30').map((s) => ({ ...s, source: 'backfill' as const })),
          ...footage('cam-1', '2026-03-02 09:30', '2026-03-03 00:00'),
        ],
      },
      { officeMin: 480, recordedMin: 480, backfilledMin: 30, gaps: {}, unaccountedMin: 0, outages: 0, longest: null },
    ],
    [
      'a partly closed gap loses only what backfill could not recover (even while its old row is still stored)',
      {
        segments: [
          ...footage('cam-1', '2026-03-02 00:00', '2026-03-02 09:00'),
          ...footage('cam-1', '2026-03-02 09:00', '2026-03-02 09:20').map((s) => ({ ...s, source: 'backfill' as const })),
          ...footage('cam-1', '2026-03-02 09:30', '2026-03-03 00:00'),
        ],
        gaps: [gap('cam-1', '2026-03-02 09:00', '2026-03-02 09:30', 'camera_unreachable')],
      },
      { officeMin: 480, recordedMin: 470, backfilledMin: 20, gaps: { camera_unreachable: 10 }, unaccountedMin: 0, outages: 1, longest: ['2026-03-02 09:20', '2026-03-02 09:30', 10] },
    ],
    [
      'nothing at all in the index: every office minute is unaccounted',
      {},
      { officeMin: 480, recordedMin: 0, gaps: {}, unaccountedMin: 480, outages: 1, longest: ['2026-03-02 00:00', '2026-03-03 00:00', 480] },
    ],
  ])('%s', (_name, over, want) => {
    const report = buildUptimeReport(base({ nowMs: clock.nowMs(), ...over }));
    const cam = report.sites[0]!.cameras[0]!;
    expect(cam.officeMs / MIN).toBe(want.officeMin);
    expect(cam.recordedMs / MIN).toBe(want.recordedMin);
    expect(cam.backfilledMs / MIN).toBe(want.backfilledMin ?? 0);
    expect(Object.fromEntries(Object.entries(cam.gapMsByReason).map(([k, v]) => [k, v / MIN]))).toEqual(want.gaps);
    expect(cam.unaccountedMs / MIN).toBe(want.unaccountedMin);
    expect(cam.recordedMs + cam.unaccountedMs + Object.values(cam.gapMsByReason).reduce((a, b) => a + b, 0)).toBe(cam.officeMs);
    expect(cam.outages).toBe(want.outages);
    if (want.longest === null) expect(cam.longestOutage).toBeNull();
    else {
      const [from, to, officeMin] = want.longest;
      expect(cam.longestOutage).toMatchObject({ cameraId: 'cam-1', startMs: at(from), endMs: at(to), officeMs: officeMin * MIN });
    }
  });

  it('a report of the future counts nothing yet', () => {
    const report = buildUptimeReport(base({ range: localDaysRange('2026-03-20', '2026-03-20', HCM), nowMs: clock.nowMs() }));
    expect(report.total.officeMs).toBe(0);
    expect(report.total.recordedFraction).toBeNull();
  });

  it('groups cameras by site, sums sites and total, and filters by a site and the sites below it', () => {
    const sites = [
      { id: 'district-1', name: 'Quận 1' },
      { id: 'ward-a', name: 'Phường A', parent: 'district-1' },
      { id: 'ward-b', name: 'Phường B', parent: 'district-1' },
      { id: 'district-2', name: 'Quận 2' },
    ];
    const cameras = [
      { id: 'a-1', name: 'Quầy 1', siteId: 'ward-a' },
      { id: 'a-2', name: 'Quầy 2', siteId: 'ward-a' },
      { id: 'b-1', name: null, siteId: 'ward-b' },
      { id: 'd2-1', name: null, siteId: 'district-2' },
      { id: 'loose', name: null, siteId: null },
    ];
    const segments = [
      ...footage('a-1', '2026-03-02 00:00', '2026-03-03 00:00'),
      ...footage('a-2', '2026-03-02 00:00', '2026-03-02 09:00'),
      ...footage('a-2', '2026-03-02 10:00', '2026-03-03 00:00'),
      ...footage('b-1', '2026-03-02 00:00', '2026-03-03 00:00'),
      ...footage('d2-1', '2026-03-02 00:00', '2026-03-03 00:00'),
    ];
    const gaps = [gap('a-2', '2026-03-02 09:00', '2026-03-02 10:00', 'camera_unreachable')];
    const all = buildUptimeReport(base({ sites, cameras, segments, gaps, nowMs: clock.nowMs() }));
    expect(all.sites.map((s) => [s.siteId, s.cameras.map((c) => c.cameraId)])).toEqual([
      ['ward-a', ['a-1', 'a-2']],
      ['ward-b', ['b-1']],
      ['district-2', ['d2-1']],
      [null, ['loose']],
    ]);
    const wardA = all.sites[0]!;
    expect(wardA.name).toBe('Phường A');
    expect(wardA.officeMs).toBe(16 * H);
    expect(wardA.recordedMs).toBe(15 * H);
    expect(wardA.recordedFraction).toBeCloseTo(15 / 16);
    expect(wardA.longestOutage).toMatchObject({ cameraId: 'a-2', officeMs: H });
    expect(all.total.officeMs).toBe(5 * 8 * H);
    expect(all.total.gapMsByReason).toEqual({ camera_unreachable: H });
    expect(all.reasons).toEqual(['camera_unreachable']);

    const district1 = buildUptimeReport(base({ sites, cameras, segments, gaps, siteId: 'district-1', nowMs: clock.nowMs() }));
    expect(district1.sites.flatMap((s) => s.cameras.map((c) => c.cameraId))).toEqual(['a-1', 'a-2', 'b-1']);
    expect(district1.siteId).toBe('district-1');
    const wardB = buildUptimeReport(base({ sites, cameras, segments, gaps, siteId: 'ward-b', nowMs: clock.nowMs() }));
    expect(wardB.total.recordedFraction).toBe(1);
  });

  it('stays exact over a month of 10-second segments', () => {
    const range = localDaysRange('2026-03-01', '2026-03-31', HCM);
    const [holeStart, holeEnd] = [at('2026-03-17 14:00'), at('2026-03-17 14:05')];
    const segments = footage('cam-1', '2026-03-01 00:00', '2026-04-01 00:00', 10_000).filter((s) => !(s.startMs >= holeStart && s.startMs < holeEnd));
    const report = buildUptimeReport(base({ range, segments, nowMs: at('2026-04-01 08:00') }));
    const cam = report.sites[0]!.cameras[0]!;
    expect(cam.officeMs).toBe(22 * 8 * H); // 22 working days in March 2026
    expect(cam.officeMs - cam.recordedMs).toBe(5 * MIN);
    expect(cam.longestOutage).toMatchObject({ startMs: at('2026-03-17 14:00'), endMs: at('2026-03-17 14:05'), reasons: ['unaccounted'] });
  });
});
