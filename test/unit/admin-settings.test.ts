import { describe, expect, it } from 'vitest';
import { connectionFrom, connectionLabel } from '../../api/routes/camera-admin-routes.ts';
import { addCameraBody, connectionBody, EMPTY_CAMERA_FORM, idFromName } from '../../api/web/src/camera-form.ts';
import { boxesFrom, GIB, parseDays, parseQuotaGb, retentionBody } from '../../api/web/src/retention-form.ts';
import { discoveredCameras, testResultFromOnboarding } from '../../bin/camera-admin-service.ts';
import { rtspFailure, streamFacts } from '../../bin/rtsp-stream-probe.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { RetentionOverride } from '../../src/db/retention-settings-repo.ts';
import { applyRetentionOverrides, retentionSettingsView } from '../../src/retention/retention-overrides.ts';
import { retentionPolicyFrom } from '../../src/retention/retention-policy.ts';

// The pure parts of camera and retention administration: overrides over the configuration,
// where each value comes from, the page's forms, discovery and test results, RTSP failures.
const config = validateConfig({
  retention: { days: 30 },
  sites: [{ id: 'hcm', name: 'TP HCM' }, { id: 'q1', name: 'Quận 1', parent: 'hcm', retentionDays: 60, quotaBytes: 100 }, { id: 'bn', name: 'Bến Nghé', parent: 'q1' }],
  cameras: [{ id: 'bn-1', site: 'bn', rtspUrl: 'rtsp://10.0.0.1/a' }, { id: 'loose', rtspUrl: 'rtsp://10.0.0.2/a', retentionDays: 10 }],
});
const o = (scope: RetentionOverride['scope'], targetId: string, days: number | null, quotaBytes: number | null = null): RetentionOverride => ({ scope, targetId, days, quotaBytes, updatedMs: 0, updatedBy: 'quantri' });

describe('retention overrides', () => {
  it.each([
    { name: 'none: the configuration', overrides: [], bn: 60, loose: 10, def: 30, quota: null },
    { name: 'default days', overrides: [o('default', '', 45, 5 * GIB)], bn: 60, loose: 10, def: 45, quota: 5 * GIB },
    { name: 'a site above the camera', overrides: [o('site', 'hcm', 90)], bn: 60, loose: 10, def: 30, quota: null },
    { name: 'the nearest site', overrides: [o('site', 'bn', 7)], bn: 7, loose: 10, def: 30, quota: null },
    { name: 'the camera itself', overrides: [o('site', 'bn', 7), o('camera', 'bn-1', 3)], bn: 3, loose: 10, def: 30, quota: null },
    { name: 'a null value keeps the configuration', overrides: [o('camera', 'loose', null, 9)], bn: 60, loose: 10, def: 30, quota: null },
  ])('$name', ({ overrides, bn, loose, def, quota }) => {
    const policy = retentionPolicyFrom(applyRetentionOverrides(config, overrides));
    expect(policy.cameras.get('bn-1')!.keepDays).toBe(bn);
    expect(policy.cameras.get('loose')!.keepDays).toBe(loose);
    expect(policy.defaultKeepDays).toBe(def);
    expect(policy.quotaBytes).toBe(quota);
  });

  it('overrides a site quota', () => {
    const policy = retentionPolicyFrom(applyRetentionOverrides(config, [o('site', 'q1', null, 500)]));
    expect(policy.siteQuotas).toEqual([{ siteId: 'q1', quotaBytes: 500, cameraIds: ['bn-1'] }]);
  });

  it('says where each value comes from', () => {
    const v = retentionSettingsView(config, [o('site', 'bn', 7)]);
    expect(v.default.days).toEqual({ config: 30, saved: null, effective: 30, source: 'config' });
    expect(v.default.quotaBytes).toEqual({ config: null, saved: null, effective: null, source: 'none' });
    expect(v.sites.map((s) => [s.id, s.days.source, s.days.effective, s.days.from])).toEqual([
      ['hcm', 'inherited', 30, 'default'],
      ['q1', 'config', 60, undefined],
      ['bn', 'saved', 7, undefined],
    ]);
    expect(v.sites[1]!.quotaBytes).toMatchObject({ source: 'config', effective: 100 });
    expect(v.cameras.map((c) => [c.id, c.days.source, c.days.effective, c.days.from])).toEqual([
      ['bn-1', 'inherited', 7, 'bn'],
      ['loose', 'config', 10, undefined],
    ]);
  });
});

describe('the retention form', () => {
  it.each([
    ['', null],
    ['1', 1],
    [' 45 ', 45],
    ['0', undefined],
    ['1.5', undefined],
    ['-3', undefined],
    ['abc', undefined],
  ])('days %j → %j', (text, want) => expect(parseDays(text)).toBe(want));

  it.each([
    ['', null],
    ['1', GIB],
    ['0,5', GIB / 2],
    ['0', undefined],
    ['x', undefined],
  ])('quota %j GB → %j bytes', (text, want) => expect(parseQuotaGb(text)).toBe(want));

  const view = {
    default: { days: { config: 30, saved: 45, effective: 45, source: 'saved' as const }, quotaBytes: { config: null, saved: null, effective: null, source: 'none' as const } },
    sites: [{ id: 'bn', name: 'Bến Nghé', parent: null, days: { config: null, saved: null, effective: 45, source: 'inherited' as const, from: 'default' }, quotaBytes: { config: null, saved: 2 * GIB, effective: 2 * GIB, source: 'saved' as const } }],
    cameras: [{ id: 'bn-1', name: 'Quầy 1', site: 'bn', days: { config: null, saved: null, effective: 45, source: 'inherited' as const, from: 'default' } }],
    schedule: '30 2 * * *',
    timeZone: 'Asia/Ho_Chi_Minh',
  };

  it('shows saved values only, and sends only what changed', () => {
    const boxes = boxesFrom(view);
    expect(boxes).toEqual({ days: '45', quotaGb: '', sites: { bn: { days: '', quotaGb: '2' } }, cameras: { 'bn-1': { days: '' } } });
    expect(retentionBody(boxes, boxes)).toEqual({ body: {} });
    expect(retentionBody({ ...boxes, sites: { bn: { days: '90', quotaGb: '2' } } }, boxes)).toEqual({ body: { sites: [{ id: 'bn', days: 90 }] } });
    expect(retentionBody({ ...boxes, days: '' }, boxes)).toEqual({ body: { days: null } });
  });

  it('names every wrong box', () => {
    const boxes = boxesFrom(view);
    expect(retentionBody({ ...boxes, days: '0', sites: { bn: { days: 'x', quotaGb: '-1' } }, cameras: { 'bn-1': { days: '2.5' } } }, boxes)).toEqual({
      errors: ['days', 'site:bn:days', 'site:bn:quotaGb', 'camera:bn-1:days'],
    });
  });
});

describe('the camera form', () => {
  const f = { ...EMPTY_CAMERA_FORM, host: '192.168.1.64', password: 'pw', id: 'quay-1' };
  it.each([
    { name: 'ONVIF', form: f, want: { body: { host: '192.168.1.64', port: 80, username: 'admin', password: 'pw' } } },
    { name: 'no host', form: { ...f, host: ' ' }, want: { errors: ['host'] } },
    { name: 'a URL as host', form: { ...f, host: 'http://192.168.1.64/' }, want: { errors: ['host'] } },
    { name: 'bad port, no user', form: { ...f, port: '70000', username: '' }, want: { errors: ['port', 'username'] } },
    { name: 'RTSP', form: { ...f, kind: 'rtsp' as const, rtspUrl: 'rtsp://10.0.0.1/a', username: '' }, want: { body: { rtspUrl: 'rtsp://10.0.0.1/a' } } },
    { name: 'RTSP not rtsp://', form: { ...f, kind: 'rtsp' as const, rtspUrl: 'http://x' }, want: { errors: ['rtspUrl'] } },
  ])('connection: $name', ({ form, want }) => expect(connectionBody(form)).toEqual(want));

  it('adds id, name, site and audio; a bad id is named', () => {
    expect(addCameraBody({ ...f, name: ' Quầy 1 ', site: 'bn', audio: false })).toEqual({ body: { id: 'quay-1', name: 'Quầy 1', site: 'bn', audio: 'off', host: '192.168.1.64', port: 80, username: 'admin', password: 'pw' } });
    expect(addCameraBody({ ...f, id: 'Quầy 1' })).toEqual({ errors: ['id'] });
    expect(addCameraBody({ ...f, id: '', host: '' })).toEqual({ errors: ['host', 'id'] });
  });

  it.each([
    ['Quầy số 1', 'quay-so-1'],
    ['Phường Đa Kao — cửa chính', 'phuong-da-kao-cua-chinh'],
    ['***', ''],
  ])('suggests an id for %j', (name, id) => expect(idFromName(name)).toBe(id));
});

describe('camera admin service, pure parts', () => {
  it('lists discovered cameras by address with their profiles, marking those already added', () => {
    const found = discoveredCameras(
      [
        { endpoint: 'urn:uuid:1', xaddrs: ['http://127.0.0.1:8001/onvif/device_service'], name: 'Quầy số 1', hardware: 'IPC-1', location: 'hcm', scopes: ['onvif://www.onvif.org/Profile/Streaming', 'onvif://www.onvif.org/Profile/G'] },
        { endpoint: 'urn:uuid:2', xaddrs: ['http://[fe80::1]/onvif/device_service'], name: '', hardware: '', location: '', scopes: [] },
        { endpoint: 'urn:uuid:3', xaddrs: ['not a url'], name: '', hardware: '', location: '', scopes: [] },
      ],
      [{ id: 'cam-1', onvif: { host: '127.0.0.1', port: 8001, username: 'admin', password: 'x' } }],
    );
    expect(found).toEqual([
      { address: '127.0.0.1:8001', host: '127.0.0.1', port: 8001, name: 'Quầy số 1', model: 'IPC-1', location: 'hcm', profiles: ['G', 'S'], configuredAs: 'cam-1' },
      { address: '[fe80::1]:80', host: 'fe80::1', port: 80, name: '', model: '', location: '', profiles: [], configuredAs: null },
    ]);
  });

  it('reports onboarding without stream URLs, warns about a clock over a minute off', () => {
    const stream = { token: 't', encoding: 'H264' as const, width: 1920, height: 1080, rtspUrl: 'rtsp://10.0.0.1/main', audioEncoding: 'G711' };
    const base = { device: { manufacturer: 'VS', model: 'IPC', firmwareVersion: '1.2', serialNumber: 's', hardwareId: 'h' }, clockOffsetMs: -61_000, main: stream, sub: null };
    const r = testResultFromOnboarding({ ...base, edge: { profileG: false, checkedMs: 0, detail: 'no recording service' } });
    expect(r).toEqual({ kind: 'onvif', manufacturer: 'VS', model: 'IPC', firmwareVersion: '1.2', main: { codec: 'H264', width: 1920, height: 1080, audio: 'G711' }, sub: null, clockOffsetMs: -61_000, clockWarning: true, profileG: false });
    expect(testResultFromOnboarding({ ...base, clockOffsetMs: 59_000, edge: { profileG: true, recordingToken: 'r1', checkedMs: 0, detail: '' } })).toMatchObject({ clockWarning: false, profileG: true });
  });

  it.each([
    ['method DESCRIBE failed: 401 Unauthorized', false, 'camera_auth_failed'],
    ['Connection refused', false, 'camera_unreachable'],
    ['', true, 'camera_unreachable'],
    ['method DESCRIBE failed: 404 Not Found', false, 'camera_no_video_profile'],
    ['something odd', false, 'camera_unreachable'],
    ['method DESCRIBE failed: 403 Forbidden', false, 'camera_auth_failed'],
    // The port is in the text ffprobe prints: its digits are not a status.
    ['Connection to tcp://10.0.0.1:40181 failed: Connection refused', false, 'camera_unreachable'],
    ['Connection to tcp://10.0.0.1:40412 failed: Connection refused', false, 'camera_unreachable'],
    ['Invalid data found when processing input (port 4401)', false, 'camera_unreachable'],
  ])('an RTSP failure %j is %s', (stderr, timedOut, code) => {
    const e = rtspFailure(`rtsp://admin:hunter2@10.0.0.1:40181/a: ${stderr}`, 'rtsp://[redacted]@10.0.0.1:40181/a', timedOut);
    expect(e.code).toBe(code);
    expect(e.message).not.toContain('hunter2');
  });

  it('accepts only H.264/H.265 video from an RTSP stream', () => {
    expect(streamFacts({ streams: [{ codec_type: 'video', codec_name: 'hevc', width: 1280, height: 720 }, { codec_type: 'audio', codec_name: 'pcm_alaw' }] }, 'x')).toEqual({ video: { codec: 'H265', width: 1280, height: 720 }, audio: 'pcm_alaw' });
    expect(() => streamFacts({ streams: [{ codec_type: 'video', codec_name: 'mjpeg' }] }, 'x')).toThrow(/no H.264 or H.265 video \(it sends mjpeg\)/);
  });

  it('takes exactly one of an address or an RTSP URL, and labels it without credentials', () => {
    expect(connectionFrom({ host: '10.0.0.5', username: 'admin', password: 'p' })).toEqual({ kind: 'onvif', host: '10.0.0.5', port: 80, username: 'admin', password: 'p' });
    expect(() => connectionFrom({ username: 'admin' })).toThrow(/either the camera address/);
    expect(() => connectionFrom({ host: 'h', rtspUrl: 'rtsp://x/' })).toThrow(/not both/);
    expect(() => connectionFrom({ host: 'h' })).toThrow(/username is needed/);
    expect(() => connectionFrom({ rtspUrl: 'rtsp://u:p@x/', username: 'u' })).toThrow(/already carries a user name/);
    expect(connectionLabel({ kind: 'rtsp', rtspUrl: 'rtsp://u:secret@10.0.0.1/a' })).not.toContain('secret');
  });
});
