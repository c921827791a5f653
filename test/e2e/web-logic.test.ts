import { describe, expect, it } from 'vitest';
import { formatDate, formatDateTime, formatTime, isoInZone, nextZonedDay, parseDateTimeText, startOfZonedDay, zonedToMs } from '../../api/web/src/time-format.ts';
import { fractionOf, instantAt, keyStepMs, place, stepWindow, ticks, windowAround } from '../../api/web/src/timeline-scale.ts';
import { afterPlaylistEnd, playbackStart, playlistRange } from '../../api/web/src/playback-start.ts';
import { camerasDown, todaysGaps } from '../../api/web/src/ops-summary.ts';
import { groupBySite } from '../../api/web/src/pages/grid-page.tsx';
import { durationText, translator } from '../../api/web/src/i18n.ts';
import { scheduleText } from '../../api/web/src/schedule-text.ts';
import { vi } from '../../api/web/src/messages-vi.ts';
import { en } from '../../api/web/src/messages-en.ts';
import { staticPlan } from '../../api/web-static.ts';

// The web UI's decisions, as pure functions (no browser): office-zone times, timeline
// geometry, where playback starts, the ops summary, grid grouping, the catalogues, and what
// the static server does with a path. The browser tests (web-*.test.ts) cover the rest.
const HCM = 'Asia/Ho_Chi_Minh';
const NY = 'America/New_York';
const t0 = Date.UTC(2026, 2, 3, 2, 40, 5); // 2026-03-03 09:40:05 in Hồ Chí Minh City

describe('office-zone times', () => {
  it.each([
    [t0, HCM, '03/03/2026 09:40:05'],
    [Date.UTC(2026, 2, 2, 17, 0, 0), HCM, '03/03/2026 00:00:00'],
    [Date.UTC(2026, 2, 2, 16, 59, 59), HCM, '02/03/2026 23:59:59'],
    [Date.UTC(2026, 2, 8, 7, 30, 0), NY, '08/03/2026 03:30:00'], // just after the DST jump
  ])('formats %i in %s as %s', (ms, tz, text) => {
    expect(formatDateTime(ms, tz)).toBe(text);
    expect(`${formatDate(ms, tz)} ${formatTime(ms, tz)}`).toBe(text);
  });

  it.each([
    ['03/03/2026', '09:40:05', t0],
    ['3/3/2026', '9:40:05', t0],
    ['03-03-2026', '09:40', t0 - 5_000],
    ['03.03.2026', '09h40', t0 - 5_000],
    ['03/03/2026', '', Date.UTC(2026, 2, 2, 17, 0, 0)],
    ['31/02/2026', '09:40', null],
    ['2026-03-03', '09:40', null],
    ['03/03/2026', '24:00', null],
    ['03/03/2026', '9:4', null],
    ['13/13/2026', '09:40', null],
  ])('reads "%s %s" typed in the office', (date, time, want) => {
    expect(parseDateTimeText(date, time, HCM)).toBe(want);
  });

  it('names the right instant in a zone with DST (gap and overlap)', () => {
    expect(zonedToMs({ year: 2026, month: 3, day: 8, hour: 1, minute: 30, second: 0 }, NY)).toBe(Date.UTC(2026, 2, 8, 6, 30));
    expect(zonedToMs({ year: 2026, month: 11, day: 1, hour: 1, minute: 30, second: 0 }, NY)).toBe(Date.UTC(2026, 10, 1, 5, 30)); // the earlier of two
    expect(zonedToMs({ year: 2026, month: 3, day: 3, hour: 9, minute: 40, second: 5 }, HCM)).toBe(t0);
  });

  it('finds local midnights and day lengths', () => {
    const day = startOfZonedDay(t0, HCM);
    expect(day).toBe(Date.UTC(2026, 2, 2, 17));
    expect(nextZonedDay(day, HCM) - day).toBe(86_400_000);
    const dstDay = startOfZonedDay(Date.UTC(2026, 2, 8, 12), NY);
    expect(nextZonedDay(dstDay, NY) - dstDay).toBe(23 * 3_600_000);
  });

  it('writes ISO 8601 with the offset for the API', () => {
    expect(isoInZone(t0, HCM)).toBe('2026-03-03T09:40:05+07:00');
    expect(isoInZone(t0 + 250, HCM)).toBe('2026-03-03T09:40:05.250+07:00');
    expect(isoInZone(Date.UTC(2026, 0, 15, 12), NY)).toBe('2026-01-15T07:00:00-05:00');
  });
});

describe('timeline geometry', () => {
  const day = windowAround(t0, 'day', HCM);
  const hour = windowAround(t0, 'hour', HCM);

  it('shows the local day or hour holding the instant, and steps by it', () => {
    expect(day).toEqual({ startMs: Date.UTC(2026, 2, 2, 17), endMs: Date.UTC(2026, 2, 3, 17) });
    expect(hour).toEqual({ startMs: Date.UTC(2026, 2, 3, 2), endMs: Date.UTC(2026, 2, 3, 3) });
    expect(stepWindow(day, 'day', 1, HCM).startMs).toBe(day.endMs);
    expect(stepWindow(day, 'day', -1, HCM).endMs).toBe(day.startMs);
    expect(stepWindow(hour, 'hour', -1, HCM)).toEqual({ startMs: hour.startMs - 3_600_000, endMs: hour.startMs });
  });

  it('maps instants to the bar and clicks back to whole-second instants inside the window', () => {
    expect(fractionOf(hour.startMs + 900_000, hour)).toBe(0.25);
    expect(fractionOf(hour.startMs - 5, hour)).toBe(0);
    expect(fractionOf(hour.endMs + 5, hour)).toBe(1);
    expect(instantAt(0.25, hour)).toBe(hour.startMs + 900_000);
    expect(instantAt(0.2500001, hour) % 1000).toBe(0);
    expect(instantAt(1, hour)).toBe(hour.endMs - 1000);
    expect(instantAt(-1, hour)).toBe(hour.startMs);
  });

  it('places ranges clipped to the window, and none outside it', () => {
    expect(place({ startMs: hour.startMs - 60_000, endMs: hour.startMs + 1_800_000 }, hour)).toEqual({ startMs: hour.startMs, endMs: hour.startMs + 1_800_000, left: 0, width: 0.5 });
    expect(place({ startMs: hour.endMs, endMs: hour.endMs + 5 }, hour)).toBeNull();
  });

  it('puts ticks on the hour (day) and every 5 minutes (hour), labels where they fit', () => {
    const d = ticks(day, 'day', HCM);
    expect(d).toHaveLength(24);
    expect(d[0]).toMatchObject({ label: '00:00', major: true, fraction: 0 });
    expect(d[9]).toMatchObject({ label: '09:00', major: false });
    const h = ticks(hour, 'hour', HCM);
    expect(h.map((k) => k.label).slice(0, 3)).toEqual(['09:00', '09:05', '09:10']);
    expect(h.filter((k) => k.major)).toHaveLength(6);
  });

  it.each([
    ['day', false, 60_000],
    ['day', true, 600_000],
    ['hour', false, 10_000],
    ['hour', true, 100_000],
  ] as const)('steps the keyboard cursor (%s, shift %s) by %i ms', (zoom, big, ms) => expect(keyStepMs(zoom, big)).toBe(ms));
});

describe('where playback starts', () => {
  const spans = [
    { startMs: 1_000, endMs: 5_000 },
    { startMs: 8_000, endMs: 12_000 },
  ];
  const gaps = [{ startMs: 5_000, endMs: 8_000, reason: 'camera_unreachable' }];
  it.each([
    [1_000, { kind: 'at', ms: 1_000 }],
    [4_999, { kind: 'at', ms: 4_999 }],
    [5_000, { kind: 'next', ms: 8_000, askedMs: 5_000, reason: 'camera_unreachable' }],
    [500, { kind: 'next', ms: 1_000, askedMs: 500, reason: null }],
    [12_000, { kind: 'none', askedMs: 12_000, reason: null }],
  ])('asked %i → %o', (asked, want) => expect(playbackStart(asked, spans, gaps)).toEqual(want));

  // Where playback goes on when its playlist ends at the last instant shown (reached).
  it.each([
    // The segment being recorded when the playlist was asked for, indexed since: from reached.
    ['indexed since, same span', 11_500, [{ startMs: 1_000, endMs: 14_000 }], { kind: 'play', ms: 11_500 }],
    ['a new span right after (clock rounding)', 12_000, [{ startMs: 1_000, endMs: 12_000 }, { startMs: 12_400, endMs: 16_000 }], { kind: 'play', ms: 12_400 }],
    // Over a gap: at reached, so the page says why there is nothing there.
    ['a gap, then more', 12_000, [{ startMs: 1_000, endMs: 12_000 }, { startMs: 20_000, endMs: 22_000 }], { kind: 'play', ms: 12_000 }],
    ['nothing more yet', 12_000, [{ startMs: 1_000, endMs: 12_000 }], { kind: 'wait' }],
    ['less than a second more', 12_000, [{ startMs: 1_000, endMs: 12_900 }], { kind: 'wait' }],
    ['nothing at all', 12_000, [], { kind: 'wait' }],
  ] as const)('at the end of a playlist: %s', (_what, reached, spans, want) => expect(afterPlaylistEnd(reached, spans)).toEqual(want));

  it('asks for up to 30 minutes, never past now, at least a second', () => {
    expect(playlistRange(0, 10 * 3_600_000)).toEqual({ startMs: 0, endMs: 1_800_000 });
    expect(playlistRange(0, 60_000)).toEqual({ startMs: 0, endMs: 60_000 });
    expect(playlistRange(60_000, 60_000)).toEqual({ startMs: 60_000, endMs: 61_000 });
  });
});

describe('ops summary and grid grouping', () => {
  const cam = (id: string, state: string, since: number | null, extra: Record<string, unknown> = {}) => ({ id, name: id, state, stateSinceMs: since, enabled: true, configured: true, site: null, ...extra });
  it('lists cameras not recording, longest down first, leaving out disabled and removed ones', () => {
    const down = camerasDown([cam('a', 'recording', 1), cam('b', 'offline', 50), cam('c', 'reconnecting', 10), cam('d', 'offline', 5, { enabled: false }), cam('e', 'stalled', 10, { configured: false })]);
    expect(down.map((c) => c.id)).toEqual(['c', 'b']);
  });

  it('lists today’s gaps newest first and sums the time lost per reason', () => {
    const r = todaysGaps([
      { camera: { id: 'a', name: 'A' }, gaps: [{ startMs: 0, endMs: 10, reason: 'camera_unreachable' }] },
      { camera: { id: 'b', name: 'B' }, gaps: [{ startMs: 20, endMs: 25, reason: 'camera_unreachable' }, { startMs: 30, endMs: 31, reason: 'stream_error' }] },
    ]);
    expect(r.gaps.map((g) => `${g.cameraId}@${g.startMs}`)).toEqual(['b@30', 'b@20', 'a@0']);
    expect(r.lostMsByReason).toEqual({ camera_unreachable: 15, stream_error: 1 });
  });

  it('groups cameras by site in tree order with the site path, unsited last', () => {
    const sites = [
      { id: 'd1', name: 'Quận 1', parentId: null, depth: 0, path: [], cameras: 0 },
      { id: 'w1', name: 'Phường A', parentId: 'd1', depth: 1, path: [{ id: 'd1', name: 'Quận 1' }], cameras: 1 },
    ];
    const c = (id: string, site: { id: string; name: string } | null) => ({ id, name: id, site, configured: true, enabled: true, state: 'recording', stateSince: null, stateSinceMs: null, lastFootageEnd: null, lastFootageEndMs: null });
    const groups = groupBySite(sites, [c('x', null), c('y', { id: 'w1', name: 'Phường A' }), c('z', { id: 'gone', name: 'Gone' })], 'Chưa gán đơn vị');
    expect(groups.map((g) => [g.title, g.cameras.map((k) => k.id)])).toEqual([
      ['Quận 1 › Phường A', ['y']],
      ['Chưa gán đơn vị', ['x', 'z']],
    ]);
  });
});

describe('the retention schedule in words', () => {
  it.each([
    ['30 2 * * *', 'hằng ngày lúc 02:30', 'every day at 02:30'],
    ['0 23 * * *', 'hằng ngày lúc 23:00', 'every day at 23:00'],
    ['15 */6 * * *', '6 giờ một lần, vào phút 15', 'every 6 hours, at minute 15'],
    ['5 * * * *', 'mỗi giờ, vào phút 5', 'every hour, at minute 5'],
    // Anything else is shown as written, named as an expression.
    ['30 2 * * 1', 'biểu thức cron 30 2 * * 1', 'cron expression 30 2 * * 1'],
    ['0 2,14 * * *', 'biểu thức cron 0 2,14 * * *', 'cron expression 0 2,14 * * *'],
    ['61 2 * * *', 'biểu thức cron 61 2 * * *', 'cron expression 61 2 * * *'],
    ['0 0 2 * * *', 'biểu thức cron 0 0 2 * * *', 'cron expression 0 0 2 * * *'],
  ])('%s', (cron, inVi, inEn) => {
    expect(scheduleText(translator('vi'), cron)).toBe(inVi);
    expect(scheduleText(translator('en'), cron)).toBe(inEn);
  });
});

describe('the two catalogues', () => {
  it('have the same keys and the same placeholders in Vietnamese and English', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(vi).sort());
    const holes = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const k of Object.keys(vi) as Array<keyof typeof vi>) expect(holes(en[k]), k).toEqual(holes(vi[k]));
  });

  it('use the glossary’s words for states and gap reasons', () => {
    const t = translator('vi');
    expect([t('state.recording'), t('state.offline'), t('state.reconnecting'), t('state.stalled'), t('state.auth_failed')]).toEqual(['Đang ghi hình', 'Mất kết nối', 'Đang kết nối lại', 'Mất tín hiệu hình', 'Sai mật khẩu camera']);
    expect([t('camera.live'), t('camera.playback'), t('timeline.title'), t('clip.title'), t('cases.title')]).toEqual(['Xem trực tiếp', 'Xem lại', 'Dòng thời gian', 'Cắt đoạn video', 'Hồ sơ khiếu nại']);
    expect(t('case.hold')).toBe('Lưu giữ (không xoá) theo hồ sơ');
    expect(translator('en')('grid.recordingCount', { n: 2, total: 3 })).toBe('2/3 recording');
  });

  it.each([
    [0, '0 giây', '0 s'],
    [45_400, '45 giây', '45 s'],
    [808_000, '13 phút 28 giây', '13 min 28 s'],
    [7_500_000, '2 giờ 5 phút', '2 h 5 min'],
  ])('says a duration of %i ms in words', (ms, viText, enText) => {
    expect(durationText(translator('vi'), ms)).toBe(viText);
    expect(durationText(translator('en'), ms)).toBe(enText);
  });
});

describe('what the UI server does with a request', () => {
  it.each([
    ['GET', '/', 'text/html', { kind: 'page' }],
    ['GET', '/cases/case-1', 'text/html,application/xhtml+xml', { kind: 'page' }],
    ['HEAD', '/ops', 'text/html', { kind: 'page' }],
    ['GET', '/ops', 'application/json', { kind: 'skip' }],
    ['GET', '/assets/index-AbC123.js', '*/*', { kind: 'asset', rel: 'assets/index-AbC123.js' }],
    ['GET', '/favicon.svg', '*/*', { kind: 'file', rel: 'favicon.svg' }],
    ['GET', '/index.html', 'text/html', { kind: 'page' }],
    ['GET', '/api/v1/nothing', 'text/html', { kind: 'skip' }],
    ['GET', '/api', 'text/html', { kind: 'skip' }],
    ['POST', '/', 'text/html', { kind: 'skip' }],
    ['GET', '/assets/../../package.json', '*/*', { kind: 'skip' }],
    ['GET', '/assets/..%2f..%2fpackage.json', '*/*', { kind: 'skip' }],
    ['GET', '/.env', '*/*', { kind: 'skip' }],
    ['GET', '/assets/a/b.js', '*/*', { kind: 'skip' }],
    ['GET', '/%E0%A4%A', 'text/html', { kind: 'skip' }],
  ])('%s %s (accept %s) → %o', (method, p, accept, want) => expect(staticPlan(method, p, accept)).toEqual(want));
});
