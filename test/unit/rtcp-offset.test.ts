import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetricsRegistry } from '../../src/metrics.ts';
import { bestReportOffset, chooseClockOffset, rtcpOffsetFrom, senderReportNtpMs, SR_AGREEMENT_MS, type SrOutcome } from '../../recorder/rtcp-offset.ts';
import { ClockWatch, type ChosenClockReading } from '../../recorder/clock-watch.ts';
import { createClockMetrics } from '../../recorder/clock-metrics.ts';
import { edgeResultToReuse, EDGE_FAILED_REUSE_MS, EDGE_RESULT_REUSE_MS, type OnboardResult } from '../../recorder/onboarding.ts';
import { onboardingDetails } from '../../recorder/camera-source.ts';
import { msToNtp } from '../../recorder/sim/rtcp.ts';

/** An SR (28 bytes) followed by an SDES, as one compound packet; or just the SDES. */
function compound(ntpMs: number | null): Buffer {
  const sdes = Buffer.from([0x81, 202, 0, 2, 0, 0, 0, 1, 1, 0, 0, 0]);
  if (ntpMs === null) return sdes;
  const sr = Buffer.alloc(28);
  sr[0] = 0x80;
  sr[1] = 200;
  sr.writeUInt16BE(6, 2);
  const n = msToNtp(ntpMs);
  sr.writeUInt32BE(n.seconds, 8);
  sr.writeUInt32BE(n.fraction, 12);
  return Buffer.concat([sr, sdes]);
}

describe('RTCP sender report time (pure)', () => {
  it.each([
    ['an SR of 2026-03-01T10:00:00.123Z', compound(Date.UTC(2026, 2, 1, 10, 0, 0, 123)), Date.UTC(2026, 2, 1, 10, 0, 0, 123)],
    ['an SR from an unset clock (NTP seconds 5)', compound(5_000 - 2_208_988_800_000), 5_000 - 2_208_988_800_000],
    ['an SDES only', compound(null), null],
    ['a truncated SR', compound(Date.UTC(2026, 0, 1)).subarray(0, 16), null],
    ['not RTCP version 2', Buffer.from([0x00, 200, 0, 6, ...new Array(24).fill(0)]), null],
    ['nothing', Buffer.alloc(0), null],
  ])('%s', (_what, packet, expected) => {
    expect(senderReportNtpMs(packet)).toBe(expected);
  });

  it.each([
    [10_001_234, 10_000_000, 1_234],
    [9_910_000, 10_000_000, -90_000],
    [10_000_000, 10_000_000, 0],
  ])('SR %i arriving at %i → offset %i', (ntp, arrival, offset) => {
    expect(rtcpOffsetFrom(ntp, arrival)).toBe(offset);
  });
});

describe('the best of several sender reports (pure)', () => {
  it.each([
    ['none', [], null],
    ['one', [{ ntpMs: 10_000, arrivalMs: 9_000 }], { offsetMs: 1_000, measuredMs: 9_000 }],
    ['the least delayed wins (largest NTP − arrival)', [{ ntpMs: 10_000, arrivalMs: 9_300 }, { ntpMs: 11_000, arrivalMs: 10_002 }, { ntpMs: 12_000, arrivalMs: 11_040 }], { offsetMs: 998, measuredMs: 10_002 }],
    ['a camera behind us', [{ ntpMs: 5_000, arrivalMs: 95_010 }, { ntpMs: 6_000, arrivalMs: 96_001 }], { offsetMs: -90_001, measuredMs: 96_001 }],
    ['a tie keeps the first', [{ ntpMs: 2_000, arrivalMs: 1_000 }, { ntpMs: 3_000, arrivalMs: 2_000 }], { offsetMs: 1_000, measuredMs: 1_000 }],
  ] as const)('%s', (_name, reports, want) => {
    expect(bestReportOffset(reports)).toEqual(want);
  });
});

describe('choosing the offset: RTCP when it agrees with ONVIF', () => {
  const onvif = { offsetMs: 1_000, measuredMs: 50_000 };
  it.each<[string, SrOutcome | null, number, 'rtcp' | 'onvif', string | null]>([
    ['no live URL: ONVIF only, nothing to say', null, 1_000, 'onvif', null],
    ['SR within the ONVIF second', { offsetMs: 1_234, measuredMs: 50_100 }, 1_234, 'rtcp', null],
    ['SR just at the agreement bound', { offsetMs: 1_000 + SR_AGREEMENT_MS, measuredMs: 50_100 }, 1_000 + SR_AGREEMENT_MS, 'rtcp', null],
    ['SR below ONVIF at the bound', { offsetMs: 1_000 - SR_AGREEMENT_MS, measuredMs: 50_100 }, 1_000 - SR_AGREEMENT_MS, 'rtcp', null],
    ['SR just past the bound', { offsetMs: 1_001 + SR_AGREEMENT_MS, measuredMs: 50_100 }, 1_000, 'onvif', 'disagrees'],
    ['SR from an unset clock (1900)', { offsetMs: -2_208_988_800_000 - 50_000, measuredMs: 50_100 }, 1_000, 'onvif', 'disagrees'],
    ['SR of zero seconds since 1970 (uptime)', { offsetMs: 3_600_000 - 50_000, measuredMs: 50_100 }, 1_000, 'onvif', 'disagrees'],
    ['no SR within the wait', { failure: 'sent no RTCP sender report within 8000 ms' }, 1_000, 'onvif', 'no_report'],
    ['a non-integer offset', { offsetMs: Number.NaN, measuredMs: 50_100 }, 1_000, 'onvif', 'disagrees'],
  ])('%s', (_what, sr, offsetMs, source, kind) => {
    const c = chooseClockOffset(onvif, sr);
    expect(c).toMatchObject({ offsetMs, source, reasonKind: kind });
    expect(c.measuredMs).toBe(source === 'rtcp' ? 50_100 : 50_000);
    expect(c.reason === null).toBe(kind === null);
  });
});

describe('reusing an earlier Profile G result (pure)', () => {
  const NOW = 1_000_000_000_000;
  const yes = { profileG: true, recordingToken: 'RecordingToken_main', checkedMs: NOW - 60_000, detail: 'Edge recording' };
  it.each<[string, unknown, boolean]>([
    ['a result a minute old', yes, true],
    ['a "no" a minute old', { profileG: false, checkedMs: NOW - 60_000, detail: 'no Profile G' }, true],
    ['a result just under 24 h old', { ...yes, checkedMs: NOW - EDGE_RESULT_REUSE_MS + 1 }, true],
    ['a result 24 h old', { ...yes, checkedMs: NOW - EDGE_RESULT_REUSE_MS }, false],
    ['a failed probe 10 min old', { profileG: false, checkedMs: NOW - 600_000, detail: 'could not be checked', probeFailed: true }, true],
    ['a failed probe an hour old', { profileG: false, checkedMs: NOW - EDGE_FAILED_REUSE_MS, detail: 'could not be checked', probeFailed: true }, false],
    ['checked in the future (clock stepped back)', { ...yes, checkedMs: NOW + 1 }, false],
    ['nothing stored', undefined, false],
    ['a malformed one', { profileG: 'yes', checkedMs: NOW }, false],
  ])('%s → reuse %s', (_what, known, reuse) => {
    const r = edgeResultToReuse(known, NOW);
    expect(r !== null).toBe(reuse);
    if (r) expect(r).toEqual(known);
  });
});

describe('onboarding details keep a precise clock reading that still agrees', () => {
  const r = { device: { manufacturer: 'V', model: 'M', firmwareVersion: '1', serialNumber: 's', hardwareId: 'h' }, clockOffsetMs: 1_000, main: { token: 'm', encoding: 'H264', width: 1920, height: 1080, rtspUrl: 'rtsp://admin:pw@10.0.0.1/main', audioEncoding: null }, sub: null, edge: { profileG: false, checkedMs: 1, detail: 'no' } } satisfies OnboardResult;
  it.each<[string, Record<string, unknown> | null, number, number, string]>([
    ['nothing stored', null, 1_000, 500, 'onvif'],
    ['an RTCP reading that agrees', { clockOffsetMs: 1_234, clockOffsetMeasuredMs: 400, clockOffsetSource: 'rtcp' }, 1_234, 400, 'rtcp'],
    ['an RTCP reading off by more than the bound (clock stepped)', { clockOffsetMs: 1_000 + SR_AGREEMENT_MS + 1, clockOffsetMeasuredMs: 400, clockOffsetSource: 'rtcp' }, 1_000, 500, 'onvif'],
    ['an older ONVIF reading', { clockOffsetMs: 900, clockOffsetMeasuredMs: 400, clockOffsetSource: 'onvif' }, 1_000, 500, 'onvif'],
  ])('%s', (_what, previous, offsetMs, measuredMs, source) => {
    const d = onboardingDetails(r, 500, previous);
    expect(d).toMatchObject({ clockOffsetMs: offsetMs, clockOffsetMeasuredMs: measuredMs, clockOffsetSource: source });
    expect(JSON.stringify(d)).not.toContain('pw');
  });
});

describe('ClockWatch with an RTCP source (fakes for the camera)', () => {
  const T0 = 1_800_000_000_000;
  const setup = (sr: () => SrOutcome, url: string | null = 'rtsp://10.0.0.9:554/main') => {
    const clock = new ManualClock(T0);
    const lines: string[] = [];
    const stored: ChosenClockReading[] = [];
    const srTargets: unknown[] = [];
    const registry = createMetricsRegistry();
    const watch = new ClockWatch({
      clock, log: createLogger({ destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }), level: 'info' }),
      metrics: createClockMetrics(registry), intervalMs: 600_000,
      store: async (_id, r) => void stored.push(r as ChosenClockReading),
      read: async () => new Date(Math.floor((clock.nowMs() + 1_234) / 1000) * 1000), // whole seconds, as cameras answer
      liveUrlOf: async () => url,
      readSr: async (t) => (srTargets.push(t), sr()),
    });
    watch.watch('cam', { host: '10.0.0.9', port: 80, username: 'admin', password: 'sekret' });
    return { clock, lines, stored, srTargets, watch, registry };
  };

  it('stores and reports the RTCP offset when it agrees', async () => {
    const s = setup(() => ({ offsetMs: 1_231, measuredMs: T0 + 5 }));
    const r = (await s.watch.checkNow('cam'))!;
    expect(r).toMatchObject({ offsetMs: 1_231, measuredMs: T0 + 5, source: 'rtcp', onvifOffsetMs: 1_000, rtcpOffsetMs: 1_231 });
    expect(s.stored.at(-1)).toMatchObject({ offsetMs: 1_231, source: 'rtcp' });
    expect(s.srTargets.at(-1)).toMatchObject({ url: 'rtsp://10.0.0.9:554/main', username: 'admin', password: 'sekret' });
    const metric = (await s.registry.getSingleMetric('vigil_camera_clock_offset_seconds')!.get()).values[0]!.value;
    expect(metric).toBe(1.231);
    s.watch.stop();
  });

  it('keeps ONVIF and says why once when the SR clock is bogus, again after it was good', async () => {
    let bogus = true;
    const s = setup(() => (bogus ? { offsetMs: -T0 + 3_600_000, measuredMs: T0 } : { offsetMs: 1_240, measuredMs: T0 }));
    for (let i = 0; i < 3; i++) expect((await s.watch.checkNow('cam'))!).toMatchObject({ offsetMs: 1_000, source: 'onvif' });
    const said = () => s.lines.filter((l) => l.includes('kept from ONVIF')).length;
    expect(said()).toBe(1);
    bogus = false;
    expect((await s.watch.checkNow('cam'))!.source).toBe('rtcp');
    bogus = true;
    await s.watch.checkNow('cam');
    expect(said()).toBe(2);
    expect(s.lines.join('\n')).not.toContain('sekret');
    s.watch.stop();
  });

  it('reads ONVIF only without a live URL', async () => {
    const s = setup(() => ({ offsetMs: 1_231, measuredMs: T0 }), null);
    expect((await s.watch.checkNow('cam'))!).toMatchObject({ offsetMs: 1_000, source: 'onvif', rtcpOffsetMs: null, rtcpRejected: null });
    expect(s.srTargets).toHaveLength(0);
    s.watch.stop();
  });
});
