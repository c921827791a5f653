import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { noticeText } from '../../src/notify/message-text.ts';
import type { Notice, NoticeData } from '../../src/notify/notice.ts';
import { scopeToSites } from '../../src/notify/notifier.ts';
import { NotifyDirectory } from '../../src/notify/notify-directory.ts';
import { signWebhook, verifyWebhookSignature } from '../../src/notify/webhook-signature.ts';
import { formatDuration, formatPercent } from '../../src/report/wording.ts';

const HCM = 'Asia/Ho_Chi_Minh';
const T0 = Date.UTC(2026, 2, 3, 2, 40, 12); // 09:40:12 on 03/03/2026 in Ho Chi Minh City
const dir = new NotifyDirectory(
  [
    { id: 'ward-x-counter-3', name: 'Quầy số 3', site: 'ward-x' },
    { id: 'ward-y-counter-1', name: 'Quầy số 1', site: 'ward-y' },
    { id: 'bare' },
  ],
  [
    { id: 'district-1', name: 'Quận 1' },
    { id: 'ward-x', name: 'Phường X', parent: 'district-1' },
    { id: 'ward-y', name: 'Phường Y' },
  ],
);
const notice = (data: NoticeData, atMs = T0 + 75_000, severity: Notice['severity'] = 'critical'): Notice => ({ id: 'n-1', atMs, severity, data });

describe('message text (Vietnamese default, English)', () => {
  it.each<[string, NoticeData, RegExp, RegExp]>([
    [
      'camera down',
      { kind: 'camera_down', cameraId: 'ward-x-counter-3', sinceMs: T0, state: 'offline', reason: 'camera_unreachable', detail: '' },
      /^🔴 \[Vigil\] Camera Quầy số 3 \(Phường X\) mất kết nối từ 09:40:12 03\/03\/2026 \(đã 1 phút 15 giây\)\.\nLý do: Mất kết nối camera\. Trạng thái: Mất kết nối\.$/,
      /^🔴 \[Vigil\] Camera Quầy số 3 \(Phường X\) down since 2026-03-03 09:40:12 \(1 min 15 s\)\.\nReason: Camera unreachable\. State: Offline\.$/,
    ],
    [
      'wrong password says what to fix',
      { kind: 'camera_down', cameraId: 'bare', sinceMs: T0, state: 'auth_failed', reason: 'auth_failed', detail: '' },
      /Camera bare mất kết nối.*\nLý do: Sai mật khẩu camera\..*\nCần sửa mật khẩu camera trong cấu hình\.$/,
      /Fix the camera password/,
    ],
    [
      'camera up',
      { kind: 'camera_up', cameraId: 'ward-x-counter-3', downSinceMs: T0, upAtMs: T0 + 3_725_000 },
      /^🟢 \[Vigil\] Camera Quầy số 3 \(Phường X\) đã ghi hình trở lại lúc 10:42:17 03\/03\/2026, sau 1 giờ 2 phút mất kết nối \(từ 09:40:12\)\.$/,
      /recording again at 2026-03-03 10:42:17, after 1 h 2 min down/,
    ],
    [
      'gaps, one line each',
      { kind: 'gaps', gaps: [{ cameraId: 'ward-x-counter-3', startMs: T0, endMs: T0 + 125_000, reason: 'recorder_down' }, { cameraId: 'ward-y-counter-1', startMs: T0, endMs: T0 + 60_000, reason: 'spool_full' }] },
      /^⚠️ \[Vigil\] Khoảng trống ghi hình \(2 camera\):\n- Quầy số 3 \(Phường X\): 09:40:12 03\/03\/2026 → 09:42:17 \(2 phút 5 giây\), Máy ghi hình ngừng hoạt động\n- Quầy số 1 \(Phường Y\): .*Bộ nhớ đệm đầy$/,
      /Gaps in footage \(2 cameras\)/,
    ],
    [
      'store unreachable',
      { kind: 'store_unreachable', sinceMs: T0, failures: 7, error: 'store_unavailable: minio:9000 does not answer' },
      /Không lưu được video vào kho lưu trữ từ 09:40:12 03\/03\/2026 \(7 lần thử lỗi\)\. Video đang được giữ tạm trên máy ghi hình\.\nLỗi: store_unavailable/,
      /Cannot store footage in the object store since/,
    ],
    [
      'quota unmet names the site',
      { kind: 'quota_unmet', scope: 'ward-x', quotaBytes: 1024 ** 4, usedBytes: 1.1 * 1024 ** 4 },
      /Bộ nhớ lưu trữ đầy \(Phường X\): 1\.1 TiB \/ 1\.0 TiB, 110 %\. Phần còn lại là video đang lưu giữ theo hồ sơ/,
      /Storage full \(Phường X\)/,
    ],
    [
      'daily report, with the cameras below 95 %',
      { kind: 'daily_report', dayStartMs: T0, sites: [{ siteId: 'ward-x', recordedFraction: 0.9712, cameras: 4, low: [{ cameraId: 'ward-x-counter-3', recordedFraction: 0.8861 }] }] },
      /^📊 \[Vigil\] Tỷ lệ hoạt động trong giờ hành chính ngày 03\/03\/2026:\n- Phường X: 97,1 % \(4 camera\); dưới 95 %: Quầy số 3 88,6 %$/,
      /Uptime during office hours on 2026-03-03:\n- Phường X: 97\.1 % \(4 camera\); below 95 %: Quầy số 3 88\.6 %/,
    ],
  ])('%s', (_name, data, vi, en) => {
    const severity = data.kind === 'camera_up' ? 'info' : data.kind === 'gaps' ? 'warning' : 'critical';
    expect(noticeText(notice(data, T0 + 75_000, severity), dir, { language: 'vi', timeZone: HCM })).toMatch(vi);
    expect(noticeText(notice(data, T0 + 75_000, severity), dir, { language: 'en', timeZone: HCM })).toMatch(en);
  });

  it('durations and percentages read naturally and never round up to 100 %', () => {
    expect(formatDuration(0, 'vi')).toBe('0 giây');
    expect(formatDuration(45_000, 'vi')).toBe('45 giây');
    expect(formatDuration(90 * 60_000, 'vi')).toBe('1 giờ 30 phút');
    expect(formatDuration(26 * 3_600_000 + 60_000, 'en')).toBe('1 d 2 h');
    expect(formatPercent(0.99996, 'vi')).toBe('99,9 %');
    expect(formatPercent(1, 'en')).toBe('100.0 %');
    expect(formatPercent(null, 'en')).toBe('—');
  });
});

describe('site-scoped webhooks', () => {
  it.each<[string, NoticeData, string[], boolean]>([
    ['a camera of the site', { kind: 'camera_down', cameraId: 'ward-x-counter-3', sinceMs: T0, state: 'offline', reason: null, detail: '' }, ['ward-x'], true],
    ['a camera below the site (district covers its wards)', { kind: 'camera_up', cameraId: 'ward-x-counter-3', downSinceMs: T0, upAtMs: T0 + 1 }, ['district-1'], true],
    ['a camera of another site', { kind: 'camera_down', cameraId: 'ward-y-counter-1', sinceMs: T0, state: 'offline', reason: null, detail: '' }, ['district-1'], false],
    ['install-wide notices go to unscoped webhooks only', { kind: 'store_unreachable', sinceMs: T0, failures: 2, error: '' }, ['ward-x'], false],
    ['a site quota within', { kind: 'quota_near', scope: 'ward-x', quotaBytes: 10, usedBytes: 9 }, ['district-1'], true],
  ])('%s', (_name, data, sites, delivered) => {
    expect(scopeToSites(notice(data), sites, dir) !== null).toBe(delivered);
  });

  it('keeps only the gaps and report lines of its sites', () => {
    const gaps = scopeToSites(notice({ kind: 'gaps', gaps: [{ cameraId: 'ward-x-counter-3', startMs: 0, endMs: 1, reason: 'x' }, { cameraId: 'ward-y-counter-1', startMs: 0, endMs: 1, reason: 'x' }] }), ['ward-y'], dir);
    expect(gaps?.data).toEqual({ kind: 'gaps', gaps: [{ cameraId: 'ward-y-counter-1', startMs: 0, endMs: 1, reason: 'x' }] });
    const report = scopeToSites(notice({ kind: 'daily_report', dayStartMs: T0, sites: [{ siteId: 'ward-x', recordedFraction: 1, cameras: 1, low: [] }, { siteId: 'ward-y', recordedFraction: 1, cameras: 1, low: [] }] }), ['district-1'], dir);
    expect(report?.data.kind === 'daily_report' && report.data.sites.map((s) => s.siteId)).toEqual(['ward-x']);
  });
});

describe('webhook signature', () => {
  const secret = 'a-long-shared-secret-0123456789';
  const body = JSON.stringify({ id: 'n-1', text: 'Camera Quầy số 3 mất kết nối' });
  const ts = Math.floor(T0 / 1000);

  it('is HMAC-SHA256 over "<timestamp>.<body>", as openssl computes it', () => {
    const openssl = execFileSync('openssl', ['dgst', '-sha256', '-hmac', secret], { input: `${ts}.${body}` }).toString().trim().split('= ').pop();
    expect(signWebhook(secret, ts, body)).toBe(`sha256=${openssl}`);
  });

  it.each<[string, Partial<Parameters<typeof verifyWebhookSignature>[0]>, boolean | RegExp]>([
    ['a genuine request', {}, true],
    ['a genuine request as raw bytes', { body: Buffer.from(body) }, true],
    ['a changed body', { body: body.replace('3', '4') }, /does not match/],
    ['another secret', { secret: 'another-secret-of-some-length' }, /does not match/],
    ['a replay 10 minutes later', { nowMs: T0 + 600_000 }, /s away from now/],
    ['no signature', { signature: undefined }, /missing/],
    ['a timestamp moved forward (signed text changes)', { timestamp: String(ts + 1) }, /does not match/],
  ])('%s', (_name, over, expected) => {
    const check = verifyWebhookSignature({ secret, body, timestamp: String(ts), signature: signWebhook(secret, ts, body), nowMs: T0 + 2_000, ...over });
    if (expected === true) expect(check).toEqual({ ok: true });
    else expect(check.ok === false && check.why).toMatch(expected as RegExp);
  });
});
