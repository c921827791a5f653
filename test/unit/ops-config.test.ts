import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { officeScheduleFrom } from '../../src/report/report-data.ts';

// The operations keys of the configuration: defaults, env overrides, and plain-word errors
// that never echo a webhook URL or secret.
const sites = [{ id: 'ward-x', name: 'Phường X' }];
const hook = { id: 'zalo-ward-x', url: 'https://bridge.example/hook/TOKEN-123', secret: 'shared-secret-0123456789' };

function problems(raw: Record<string, unknown>, env: Record<string, string> = {}): string {
  try {
    validateConfig(raw, { env, cwd: '/tmp' });
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

describe('ops configuration', () => {
  it('has working defaults: metrics on 127.0.0.1:9464, no webhook, office hours 7–11 and 13–17 Mon–Fri in Ho Chi Minh City', () => {
    const c = validateConfig({}, { env: {}, cwd: '/tmp' });
    expect(c.metrics).toEqual({ enabled: true, host: '127.0.0.1', port: 9464 });
    expect(c.notify).toMatchObject({ webhooks: [], cameraDownAfterMs: 60_000, gapMinMs: 60_000, storeDownAfterMs: 60_000, maxQueue: 1_000 });
    expect(officeScheduleFrom(c)).toEqual({
      timeZone: 'Asia/Ho_Chi_Minh',
      weekdays: [1, 2, 3, 4, 5],
      periods: [{ start: '07:00', end: '11:00' }, { start: '13:00', end: '17:00' }],
      holidays: [],
      extraWorkdays: [],
    });
    expect(c.report.language).toBe('vi');
  });

  it('takes the VIGIL_* overrides', () => {
    const c = validateConfig({}, { env: { VIGIL_METRICS_PORT: '9470', VIGIL_METRICS_ENABLED: 'false', VIGIL_NOTIFY_CAMERA_DOWN_AFTER_MS: '120000', VIGIL_REPORT_LANGUAGE: 'en', VIGIL_REPORT_DAILY_SCHEDULE: '30 17 * * 1-5' }, cwd: '/tmp' });
    expect(c.metrics.port).toBe(9470);
    expect(c.metrics.enabled).toBe(false);
    expect(c.notify.cameraDownAfterMs).toBe(120_000);
    expect(c.report).toMatchObject({ language: 'en', dailySchedule: '30 17 * * 1-5' });
  });

  it('accepts a full webhook and report section', () => {
    const c = validateConfig(
      { sites, notify: { webhooks: [{ ...hook, events: ['camera_down', 'camera_up'], sites: ['ward-x'], language: 'en' }] }, report: { holidays: ['2026-04-30', '2026-05-01'], extraWorkdays: ['2026-04-25'], officeHours: [{ start: '07:30', end: '11:30' }, { start: '13:30', end: '17:00' }] } },
      { env: {}, cwd: '/tmp' },
    );
    expect(c.notify.webhooks[0]).toMatchObject({ id: 'zalo-ward-x', timeoutMs: 10_000, events: ['camera_down', 'camera_up'] });
    expect(officeScheduleFrom(c).holidays).toEqual(['2026-04-30', '2026-05-01']);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a webhook of an undeclared site', { sites, notify: { webhooks: [{ ...hook, sites: ['ward-z'] }] } }, /notify\.webhooks\[0\]\.sites\[0\]: names site "ward-z", which is not declared/],
    ['two webhooks with one id', { notify: { webhooks: [hook, hook] } }, /notify\.webhooks\[1\]\.id: repeats webhook id "zalo-ward-x"/],
    ['a short secret', { notify: { webhooks: [{ ...hook, secret: 'short' }] } }, /notify\.webhooks\[0\]\.secret: must be at least 16 characters/],
    ['an unknown notice kind', { notify: { webhooks: [{ ...hook, events: ['camera_gone'] }] } }, /notify\.webhooks\[0\]\.events\[0\]: must be one of "camera_down", "camera_up"/],
    ['not a URL', { notify: { webhooks: [{ ...hook, url: 'ftp://x' }] } }, /notify\.webhooks\[0\]\.url: must be an http:\/\/ or https:\/\/ URL/],
    ['a reversed office period', { report: { officeHours: [{ start: '17:00', end: '13:00' }] } }, /report: office period 17:00–13:00: must end after it starts/],
    ['overlapping periods', { report: { officeHours: [{ start: '07:00', end: '12:00' }, { start: '11:00', end: '17:00' }] } }, /overlap/],
    ['a time without leading zero', { report: { officeHours: [{ start: '7:00', end: '11:00' }] } }, /report\.officeHours\[0\]\.start: must be a local time "HH:mm"/],
    ['a holiday that is not a date', { report: { holidays: ['2026-02-30'] } }, /date "2026-02-30": must be a real date/],
    ['a bad daily schedule', { report: { dailySchedule: '61 17 * * *' } }, /report\.dailySchedule: is not a valid cron expression/],
    ['a misspelt key', { notify: { webhook: [] } }, /notify\.webhook: .*did you mean "webhooks"/],
    ['a metrics token too short', { metrics: { bearerToken: 'abc' } }, /metrics\.bearerToken: must be at least 16 characters/],
  ])('stops start-up with %s', (_name, raw, expected) => {
    const message = problems(raw);
    expect(message).toMatch(expected);
    expect(message).not.toContain('TOKEN-123');
    expect(message).not.toContain('shared-secret-0123456789');
  });
});
