/**
 * ONVIF Profile G in the camera simulator, its RTSP replay as the ONVIF Streaming Specification
 * describes it (Require: onvif-replay, Range: clock=, Rate-Control, the 0xABAC RTP header
 * extension, RTCP BYE at the end), and the networkCut fault that the card records through. A
 * ManualClock drives camera time (sim-profile-g-fixture.ts), so an hour of edge history costs
 * nothing and real-time pacing is checked without waiting; sockets are real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/clock.ts';
import type { SimCamera } from '../../recorder/sim/simulator.ts';
import { TestRtspClient } from '../helpers/rtsp-client.ts';
import { waitFor } from '../helpers/wait.ts';
import { formatClockTime } from '../../recorder/sim/rtsp-replay.ts';
import { at, framesOf, ms, openReplay, replayAll, replayHeaders, searchResults, startProfileGSim, stopProfileGSim, sync, T0, text, type ProfileGSim } from './sim-profile-g-fixture.ts';

// The ONVIF RTP header extension flags.
const C = 0x80;
const E = 0x40;
const D = 0x20;
const T = 0x10;

let g: ProfileGSim;
let clock: ManualClock;
let edgeCam: SimCamera;
beforeAll(async () => {
  g = await startProfileGSim();
  ({ clock, edgeCam } = g);
}, 300_000);
afterAll(() => stopProfileGSim(g));

describe('RTSP replay', () => {
  it('replays ~20 s across a hole with Rate-Control: no: every frame once, exact NTP steps, C/E/D/T flags, BYE', async () => {
    // Held: [10, 40) and [41.5, now). Asked: [30.5, 50.3). Video: keyframe at 30 s up to 39.96 s,
    // then from the first keyframe after the hole (42 s) to the last frame before 50.3 s.
    const { client, tracks, playResponse, playCseq } = await replayAll(g, edgeCam, at(30.5), at(50.3));
    expect(tracks.map((t) => t.media)).toEqual(['video', 'audio']);
    expect(playResponse.header('Range')).toBe(`clock=${formatClockTime(at(30))}-${formatClockTime(at(50.3))}`);
    for (const p of client.rtp) {
      expect(p.onvif, 'every packet has the ONVIF extension').toBeDefined();
      expect(p.onvif!.cseq).toBe(playCseq & 0xff);
    }

    const video = framesOf(client.rtp, 0);
    const expectedTimes = [
      ...Array.from({ length: 250 }, (_, i) => at(30) + i * 40),
      ...Array.from({ length: 208 }, (_, i) => at(42) + i * 40),
    ];
    expect(video.length).toBe(expectedTimes.length);
    expect(new Set(video.map((f) => f.timestamp)).size).toBe(video.length);
    video.forEach((f, i) => expect(f.ntpMs).toBeCloseTo(expectedTimes[i]!, 3));
    // RTP timestamps follow the NTP times exactly (90 kHz).
    for (const f of video) expect(((f.timestamp - video[0]!.timestamp + 2 ** 32) % 2 ** 32) / 90).toBeCloseTo(f.ntpMs - video[0]!.ntpMs, 3);

    // Flags: C on every packet of a keyframe (every 2 s), E/D around the hole, T on the very last packet.
    for (const f of video) {
      const keyframe = Math.round(f.ntpMs - T0) % 2000 === 0;
      for (const p of f.packets) expect((p.onvif!.flags & C) !== 0, `C at ${f.ntpMs - T0}`).toBe(keyframe);
    }
    const flagged = (flag: number) => client.rtp.filter((p) => p.channel === 0 && (p.onvif!.flags & flag) !== 0);
    expect(flagged(E)).toEqual([video[249]!.packets.at(-1)]);
    expect(flagged(D)).toEqual([video[250]!.packets[0]]);
    expect(flagged(T)).toEqual([video.at(-1)!.packets.at(-1)]);
    expect(client.rtp.filter((p) => p.channel === 0).at(-1)).toBe(video.at(-1)!.packets.at(-1));

    // Audio (PCMA, 20 ms frames) covers the same runs, with its own D/E/T.
    const audio = framesOf(client.rtp, 2);
    expect(audio.length).toBe(500 + 416);
    expect(audio[0]!.ntpMs).toBeCloseTo(at(30), 3);
    expect(audio[499]!.ntpMs).toBeCloseTo(at(39.98), 3);
    expect(audio[500]!.ntpMs).toBeCloseTo(at(42), 3);
    expect(audio.at(-1)!.packets.at(-1)!.onvif!.flags & T).toBe(T);
    expect(audio[500]!.packets[0]!.onvif!.flags & D).toBe(D);

    // The BYEs come after the last RTP packet of each track.
    const lastRtpArrival = Math.max(...client.rtp.map((p) => p.arrivalMs));
    expect(client.byes.every((b) => b.arrivalMs >= lastRtpArrival)).toBe(true);
    await client.teardown();
  });

  it('replayed NTP times equal the live stream frame times (same frame, same time)', async () => {
    // Away from the 1 s hole the search test left at ~70 s. Watch live for 2 s; each live frame's
    // time comes from its RTP timestamp and the sender report.
    clock.advance(5000);
    const live = await TestRtspClient.connect(edgeCam.rtspUrl('main', true));
    g.clients.push(live);
    await live.play();
    const liveStart = clock.nowMs();
    for (let i = 0; i < 50; i++) clock.advance(40);
    await live.until(() => framesOf(live.rtp, 0).length >= 50 && live.senderReports.length > 0, 10_000, '50 live frames');
    await sync(live);
    const sr = live.senderReports.find((r) => r.channel === 1)!;
    const liveFrames = framesOf(live.rtp, 0).map((f) => ({
      ntpMs: sr.ntpMs + ((f.timestamp - sr.rtpTimestamp + 2 ** 32) % 2 ** 32 > 2 ** 31 ? (f.timestamp - sr.rtpTimestamp + 2 ** 32) % 2 ** 32 - 2 ** 32 : (f.timestamp - sr.rtpTimestamp + 2 ** 32) % 2 ** 32) / 90,
      firstPayload: f.packets[0]!.payload,
    }));
    live.close();

    const endMs = clock.nowMs();
    const { client } = await replayAll(g, edgeCam, liveStart - 2000, endMs);
    const replayed = new Map(framesOf(client.rtp, 0).map((f) => [Math.round(f.ntpMs), f.packets[0]!.payload]));
    let matched = 0;
    for (const f of liveFrames) {
      const payload = replayed.get(Math.round(f.ntpMs));
      if (payload === undefined) continue;
      expect(Buffer.compare(payload, f.firstPayload), `frame at ${Math.round(f.ntpMs) - T0}`).toBe(0);
      matched++;
    }
    // The card holds [.., now): every live frame due before now is on it.
    expect(matched).toBe(liveFrames.filter((f) => f.ntpMs < endMs).length);
    expect(matched).toBeGreaterThanOrEqual(50);
  });

  it('camera clock skew shifts the NTP times by exactly the skew', async () => {
    const skewMs = 1234;
    const plain = framesOf((await replayAll(g, edgeCam, at(44), at(46))).client.rtp, 0);
    edgeCam.faults.set({ clockSkewMs: skewMs });
    try {
      // The Range is in the camera's clock.
      const skewed = framesOf((await replayAll(g, edgeCam, at(44) + skewMs, at(46) + skewMs)).client.rtp, 0);
      expect(skewed.length).toBe(plain.length);
      skewed.forEach((f, i) => expect(f.ntpMs - plain[i]!.ntpMs).toBeCloseTo(skewMs, 3));
    } finally {
      edgeCam.faults.set({ clockSkewMs: 0 });
    }
  });

  it('PLAY without Require: onvif-replay is answered 551 with Unsupported', async () => {
    const client = await openReplay(g, edgeCam);
    await client.setupAll();
    const res = await client.request('PLAY', client.url, [['Range', `clock=${formatClockTime(at(45))}-`]]);
    expect(res.status).toBe(551);
    expect(res.header('Unsupported')).toBe('onvif-replay');
    expect(client.rtp.length).toBe(0);
  });

  it('Rate-Control: yes (the default) sends in real time on the camera clock', async () => {
    const client = await openReplay(g, edgeCam);
    await client.play({ playHeaders: replayHeaders(at(44), at(54), undefined) });
    for (let i = 0; i < 25; i++) clock.advance(40);
    await client.until(() => framesOf(client.rtp, 0).length >= 26, 10_000, '26 frames');
    await sync(client);
    // Frames at offsets 0, 40, …, 1000 ms: 26, and nothing ahead of time.
    expect(framesOf(client.rtp, 0).length).toBe(26);
    client.close();
  });

  it('Rate-Control: no honours backpressure: a reader that stops reading stops the camera', async () => {
    const client = await openReplay(g, edgeCam);
    await client.setupAll();
    const before = edgeCam.rtsp.stats().framesSent;
    client.pauseReading();
    // 50 s of 2 Mbit/s video is far more than the socket buffers hold.
    void client.request('PLAY', client.url, replayHeaders(at(15), at(65), 'no')).catch(() => undefined);
    let last = -1;
    let still = 0;
    await waitFor('the camera to stop sending to a reader that does not read', () => {
      const sent = edgeCam.rtsp.stats().framesSent - before;
      still = sent === last && sent > 0 ? still + 1 : 0;
      last = sent;
      return still >= 5;
    }, { timeoutMs: 20_000, intervalMs: 100 });
    expect(last).toBeLessThan(1000); // 25 fps × 50 s minus the hole would be ~1200
    (client as unknown as { socket: { resume(): void } }).socket.resume();
    await client.until(() => client.byes.length >= 2, 30_000, 'the end of the replay after reading again');
    expect(edgeCam.rtsp.stats().framesSent - before).toBe(framesOf(client.rtp, 0).length);
  });

  it('throttleBytesPerSec paces a replay instead of dropping frames', async () => {
    const rate = 200_000;
    edgeCam.faults.set({ throttleBytesPerSec: rate });
    try {
      const client = await openReplay(g, edgeCam);
      await client.play({ playHeaders: replayHeaders(at(44), at(47), 'no') });
      await sync(client);
      const first = client.interleavedBytes;
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThanOrEqual(rate + 300_000); // one second of burst plus at most one frame
      for (let i = 0; i < 40 && client.byes.length < 2; i++) {
        clock.advance(250);
        await sync(client);
      }
      expect(client.byes.length).toBe(2);
      expect(framesOf(client.rtp, 0).length).toBe(75);
    } finally {
      edgeCam.faults.set({ throttleBytesPerSec: null });
    }
  });

  it('wrong credentials get 401 on the replay URI', async () => {
    edgeCam.faults.set({ wrongCredentials: true });
    try {
      const client = await openReplay(g, edgeCam);
      expect((await client.request('DESCRIBE')).status).toBe(401);
    } finally {
      edgeCam.faults.set({ wrongCredentials: false });
    }
  });
});

describe('networkCut', () => {
  it('refuses and drops RTSP (live and replay) and ONVIF while the card keeps recording', async () => {
    const live = await TestRtspClient.connect(edgeCam.rtspUrl('main', true));
    g.clients.push(live);
    await live.play();
    const replay = await openReplay(g, edgeCam);
    await replay.play({ playHeaders: replayHeaders(at(44), undefined, 'yes') });
    const cutStart = clock.nowMs();
    edgeCam.faults.set({ networkCut: true }, 10_000);
    await live.until(() => live.closed, 5000, 'the live session to be cut').catch(() => undefined);
    await replay.until(() => replay.closed, 5000, 'the replay session to be cut').catch(() => undefined);
    expect(live.closed).toBe(true);
    expect(replay.closed).toBe(true);
    await edgeCam.onvif.settled();
    await expect(TestRtspClient.connect(edgeCam.rtspUrl('main'))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(fetch(edgeCam.onvif.xaddr, { method: 'POST', body: '' })).rejects.toThrow();

    clock.advance(10_000); // the cut ends by itself (forMs)
    expect(edgeCam.faults.get().networkCut).toBe(false);
    await waitFor('the RTSP listener to reopen', () => edgeCam.rtsp.listening);
    await edgeCam.onvif.settled();
    const results = await searchResults(edgeCam);
    expect(ms(text(results, 'tt:LatestRecording'))).toBe(clock.nowMs());
    // The cut interval is on the card, without a hole: one continuous run.
    const { client } = await replayAll(g, edgeCam, cutStart, cutStart + 10_000);
    const frames = framesOf(client.rtp, 0);
    expect(frames.length).toBeGreaterThanOrEqual(240);
    expect(client.rtp.some((p) => (p.onvif!.flags & (D | E)) !== 0)).toBe(false);
    for (let i = 1; i < frames.length; i++) expect(frames[i]!.ntpMs - frames[i - 1]!.ntpMs).toBeCloseTo(40, 3);
  });
});

