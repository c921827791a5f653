/**
 * ONVIF Profile G in the camera simulator: edge storage that keeps recording through a network
 * cut, recording search, GetReplayUri and RTSP replay as the ONVIF Streaming Specification
 * describes it (Require: onvif-replay, Range: clock=, Rate-Control, the 0xABAC RTP header
 * extension, RTCP BYE at the end). A ManualClock drives camera time, so an hour of edge history
 * costs nothing and real-time pacing is checked without waiting; sockets are real.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { RECORDING_TOKEN } from '../../recorder/sim/onvif-recording.ts';
import { CameraSimulator, type SimCamera } from '../../recorder/sim/simulator.ts';
import { passwordDigest } from '../../recorder/sim/wsse.ts';
import { formatClockTime } from '../../recorder/sim/rtsp-replay.ts';
import { type RtpPacketInfo, TestRtspClient } from '../helpers/rtsp-client.ts';
import { waitFor } from '../helpers/wait.ts';

const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const at = (sec: number) => T0 + Math.round(sec * 1000);
const C = 0x80;
const E = 0x40;
const D = 0x20;
const T = 0x10;
const RETENTION_MS = 60_000;

const clock = new ManualClock(T0);
let sim: CameraSimulator;
let edgeCam: SimCamera; // h264 + PCMA, edge storage
let plainCam: SimCamera; // h265, no edge storage
const clients: TestRtspClient[] = [];

beforeAll(async () => {
  sim = await CameraSimulator.start({
    cameras: [defaultSpec(0, { edge: { retentionMs: RETENTION_MS } }), defaultSpec(2)],
    clock,
    media: { loopSeconds: 4 },
    discoveryPort: null,
  });
  edgeCam = sim.camera('cam-1');
  plainCam = sim.camera('cam-3');
  // 40 s of history, then the card stops for 1.5 s, then 28.5 s more: held [10, 40) and [41.5, 70).
  clock.advance(40_000);
  edgeCam.faults.set({ edgeRecording: false }, 1_500);
  clock.advance(30_000);
}, 300_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await sim?.stop();
});

// ---------------------------------------------------------------------------------------------
// SOAP

async function soap(cam: SimCamera, path: string, body: string, opts: { password?: string } = {}): Promise<{ status: number; xml: string }> {
  const nonce = randomBytes(16);
  const created = new Date(cam.faults.cameraNowMs()).toISOString();
  const digest = passwordDigest(nonce, created, opts.password ?? cam.spec.password);
  const security =
    `<Security s:mustUnderstand="1" xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">` +
    `<UsernameToken><Username>${cam.spec.username}</Username>` +
    `<Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">${digest}</Password>` +
    `<Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">${nonce.toString('base64')}</Nonce>` +
    `<Created xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">${created}</Created>` +
    `</UsernameToken></Security>`;
  const envelope =
    `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tt="http://www.onvif.org/ver10/schema"><s:Header>${security}</s:Header>` +
    `<s:Body>${body}</s:Body></s:Envelope>`;
  const url = cam.onvif.xaddr.replace('/onvif/device_service', path);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/soap+xml; charset=utf-8' },
    body: envelope,
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, xml: await res.text() };
}

const TSE = 'xmlns="http://www.onvif.org/ver10/search/wsdl"';
const TRC = 'xmlns="http://www.onvif.org/ver10/recording/wsdl"';
const TRP = 'xmlns="http://www.onvif.org/ver10/replay/wsdl"';
const TDS = 'xmlns="http://www.onvif.org/ver10/device/wsdl"';

function texts(xml: string, qname: string): string[] {
  return [...xml.matchAll(new RegExp(`<${qname}(?:\\s[^>]*)?>([^<]*)</${qname}>`, 'g'))].map((m) => m[1]!);
}
function text(xml: string, qname: string): string | undefined {
  return texts(xml, qname)[0];
}
const ms = (iso: string | undefined) => (iso === undefined ? NaN : Date.parse(iso));

async function searchResults(cam: SimCamera): Promise<string> {
  const find = await soap(cam, '/onvif/search_service', `<FindRecordings ${TSE}><Scope/><KeepAliveTime>PT10S</KeepAliveTime></FindRecordings>`);
  expect(find.status).toBe(200);
  const token = text(find.xml, 'tse:SearchToken')!;
  const results = await soap(cam, '/onvif/search_service', `<GetRecordingSearchResults ${TSE}><SearchToken>${token}</SearchToken></GetRecordingSearchResults>`);
  expect(results.status).toBe(200);
  expect((await soap(cam, '/onvif/search_service', `<EndSearch ${TSE}><SearchToken>${token}</SearchToken></EndSearch>`)).status).toBe(200);
  return results.xml;
}

// ---------------------------------------------------------------------------------------------
// RTSP replay

interface Frame {
  channel: number;
  timestamp: number;
  ntpMs: number;
  packets: RtpPacketInfo[];
}

/** Groups a track's packets into frames (same RTP timestamp, consecutive). */
function framesOf(packets: RtpPacketInfo[], channel: number): Frame[] {
  const frames: Frame[] = [];
  for (const p of packets) {
    if (p.channel !== channel) continue;
    const last = frames.at(-1);
    if (last && last.timestamp === p.timestamp) last.packets.push(p);
    else frames.push({ channel, timestamp: p.timestamp, ntpMs: p.onvif?.ntpMs ?? NaN, packets: [p] });
  }
  return frames;
}

async function openReplay(cam: SimCamera): Promise<TestRtspClient> {
  const client = await TestRtspClient.connect(cam.rtsp.replayUrl(RECORDING_TOKEN).replace('rtsp://', `rtsp://${cam.spec.username}:${cam.spec.password}@`));
  clients.push(client);
  return client;
}

function replayHeaders(fromMs: number, toMs: number | undefined, rateControl: 'yes' | 'no' | undefined): Array<[string, string]> {
  const h: Array<[string, string]> = [
    ['Require', 'onvif-replay'],
    ['Range', `clock=${formatClockTime(fromMs)}-${toMs === undefined ? '' : formatClockTime(toMs)}`],
  ];
  if (rateControl) h.push(['Rate-Control', rateControl]);
  return h;
}

/** Replays [fromMs, toMs) with Rate-Control: no and resolves once every track's BYE arrived. */
async function replayAll(cam: SimCamera, fromMs: number, toMs: number) {
  const client = await openReplay(cam);
  const { tracks, playResponse } = await client.play({ playHeaders: replayHeaders(fromMs, toMs, 'no') });
  const playCseq = client.lastCseq;
  await client.until(() => client.byes.length >= tracks.length, 30_000, 'a BYE on every track');
  return { client, tracks, playResponse, playCseq };
}

/** A request/response round trip: everything the camera wrote before has arrived. */
async function sync(client: TestRtspClient): Promise<void> {
  const res = await client.request('GET_PARAMETER');
  expect(res.status).toBe(200);
}

// ---------------------------------------------------------------------------------------------

describe('Profile G services', () => {
  it('lists recording, search and replay services and the Profile G scope only with edge storage', async () => {
    const services = await soap(edgeCam, '/onvif/device_service', `<GetServices ${TDS}><IncludeCapability>true</IncludeCapability></GetServices>`);
    expect(services.status).toBe(200);
    const namespaces = texts(services.xml, 'tds:Namespace');
    expect(namespaces).toEqual(expect.arrayContaining([
      'http://www.onvif.org/ver10/recording/wsdl',
      'http://www.onvif.org/ver10/search/wsdl',
      'http://www.onvif.org/ver10/replay/wsdl',
    ]));
    expect(texts(services.xml, 'tds:XAddr')).toContain(edgeCam.onvif.xaddr.replace('device_service', 'replay_service'));
    const caps = await soap(edgeCam, '/onvif/device_service', `<GetCapabilities ${TDS}><Category>All</Category></GetCapabilities>`);
    expect(caps.xml).toContain('<tt:Replay><tt:XAddr>');
    expect(caps.xml).toContain('<tt:Search><tt:XAddr>');
    const scopes = await soap(edgeCam, '/onvif/device_service', `<GetScopes ${TDS}/>`);
    expect(texts(scopes.xml, 'tt:ScopeItem')).toContain('onvif://www.onvif.org/Profile/G');

    const plain = await soap(plainCam, '/onvif/device_service', `<GetServices ${TDS}><IncludeCapability>false</IncludeCapability></GetServices>`);
    expect(texts(plain.xml, 'tds:Namespace')).toEqual(['http://www.onvif.org/ver10/device/wsdl', 'http://www.onvif.org/ver10/media/wsdl']);
    const plainCaps = await soap(plainCam, '/onvif/device_service', `<GetCapabilities ${TDS}><Category>All</Category></GetCapabilities>`);
    expect(plainCaps.xml).not.toContain('tt:Replay');
    const plainScopes = await soap(plainCam, '/onvif/device_service', `<GetScopes ${TDS}/>`);
    expect(texts(plainScopes.xml, 'tt:ScopeItem')).not.toContain('onvif://www.onvif.org/Profile/G');
  });

  it('a camera without edge storage answers search and replay with ActionNotSupported, and has no replay URI', async () => {
    for (const [path, body] of [
      ['/onvif/search_service', `<GetRecordingSummary ${TSE}/>`],
      ['/onvif/search_service', `<FindRecordings ${TSE}><Scope/></FindRecordings>`],
      ['/onvif/recording_service', `<GetRecordings ${TRC}/>`],
      ['/onvif/replay_service', `<GetReplayUri ${TRP}><StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></StreamSetup><RecordingToken>${RECORDING_TOKEN}</RecordingToken></GetReplayUri>`],
    ] as const) {
      const res = await soap(plainCam, path, body);
      expect(res.status, body).toBe(500);
      expect(res.xml).toContain('ter:ActionNotSupported');
    }
    const client = await TestRtspClient.connect(plainCam.rtspUrl('main', true).replace(/\/main$/, `/replay/${RECORDING_TOKEN}`));
    clients.push(client);
    expect((await client.request('DESCRIBE')).status).toBe(404);
  });

  it('GetRecordings names the recording and its video and audio tracks', async () => {
    const res = await soap(edgeCam, '/onvif/recording_service', `<GetRecordings ${TRC}/>`);
    expect(res.status).toBe(200);
    expect(text(res.xml, 'tt:RecordingToken')).toBe(RECORDING_TOKEN);
    expect(texts(res.xml, 'tt:TrackType')).toEqual(['Video', 'Audio']);
    expect(text(res.xml, 'tt:MaximumRetentionTime')).toBe('PT60S');
  });

  it('search follows retention and holes: summary, FindRecordings results, GetRecordingInformation', async () => {
    const now = clock.nowMs();
    const summary = await soap(edgeCam, '/onvif/search_service', `<GetRecordingSummary ${TSE}/>`);
    expect(summary.status).toBe(200);
    expect(ms(text(summary.xml, 'tt:DataFrom'))).toBe(now - RETENTION_MS);
    expect(ms(text(summary.xml, 'tt:DataUntil'))).toBe(now);
    expect(text(summary.xml, 'tt:NumberRecordings')).toBe('1');

    const results = await searchResults(edgeCam);
    expect(text(results, 'tt:SearchState')).toBe('Completed');
    expect(text(results, 'tt:RecordingToken')).toBe(RECORDING_TOKEN);
    expect(ms(text(results, 'tt:EarliestRecording'))).toBe(now - RETENTION_MS);
    expect(ms(text(results, 'tt:LatestRecording'))).toBe(now);
    expect(texts(results, 'tt:DataFrom').map(ms)).toEqual([now - RETENTION_MS, now - RETENTION_MS]);
    expect(text(results, 'tt:RecordingStatus')).toBe('Recording');

    // While the card is off, the recording ends where it stopped and says Stopped.
    edgeCam.faults.set({ edgeRecording: false });
    clock.advance(1000);
    const stopped = await soap(edgeCam, '/onvif/search_service', `<GetRecordingInformation ${TSE}><RecordingToken>${RECORDING_TOKEN}</RecordingToken></GetRecordingInformation>`);
    expect(text(stopped.xml, 'tt:RecordingStatus')).toBe('Stopped');
    expect(ms(text(stopped.xml, 'tt:LatestRecording'))).toBe(now);
    edgeCam.faults.set({ edgeRecording: true });
    expect(edgeCam.edge!.held().map((h) => [h.startMs - T0, h.endMs - T0])).toEqual([
      [now + 1000 - RETENTION_MS - T0, 40_000],
      [41_500, now - T0],
      [now + 1000 - T0, now + 1000 - T0],
    ].filter(([a, b]) => b! > a!));

    const unknown = await soap(edgeCam, '/onvif/search_service', `<GetRecordingInformation ${TSE}><RecordingToken>nope</RecordingToken></GetRecordingInformation>`);
    expect(unknown.status).toBe(400);
    expect(unknown.xml).toContain('ter:NoRecording');
    const wrong = await soap(edgeCam, '/onvif/search_service', `<GetRecordingSummary ${TSE}/>`, { password: 'guess' });
    expect(wrong.status).toBe(400);
    expect(wrong.xml).toContain('ter:NotAuthorized');
  });

  it('GetReplayUri gives the replay URI on the RTSP port', async () => {
    const res = await soap(
      edgeCam,
      '/onvif/replay_service',
      `<GetReplayUri ${TRP}><StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></StreamSetup>` +
        `<RecordingToken>${RECORDING_TOKEN}</RecordingToken></GetReplayUri>`,
    );
    expect(res.status).toBe(200);
    expect(text(res.xml, 'trp:Uri')).toBe(`rtsp://127.0.0.1:${edgeCam.rtsp.port}/replay/${RECORDING_TOKEN}`);
  });
});

describe('RTSP replay', () => {
  it('replays ~20 s across a hole with Rate-Control: no: every frame once, exact NTP steps, C/E/D/T flags, BYE', async () => {
    // Held: [10, 40) and [41.5, now). Asked: [30.5, 50.3). Video: keyframe at 30 s up to 39.96 s,
    // then from the first keyframe after the hole (42 s) to the last frame before 50.3 s.
    const { client, tracks, playResponse, playCseq } = await replayAll(edgeCam, at(30.5), at(50.3));
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
    clients.push(live);
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
    const { client } = await replayAll(edgeCam, liveStart - 2000, endMs);
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
    const plain = framesOf((await replayAll(edgeCam, at(44), at(46))).client.rtp, 0);
    edgeCam.faults.set({ clockSkewMs: skewMs });
    try {
      // The Range is in the camera's clock.
      const skewed = framesOf((await replayAll(edgeCam, at(44) + skewMs, at(46) + skewMs)).client.rtp, 0);
      expect(skewed.length).toBe(plain.length);
      skewed.forEach((f, i) => expect(f.ntpMs - plain[i]!.ntpMs).toBeCloseTo(skewMs, 3));
    } finally {
      edgeCam.faults.set({ clockSkewMs: 0 });
    }
  });

  it('PLAY without Require: onvif-replay is answered 551 with Unsupported', async () => {
    const client = await openReplay(edgeCam);
    await client.setupAll();
    const res = await client.request('PLAY', client.url, [['Range', `clock=${formatClockTime(at(45))}-`]]);
    expect(res.status).toBe(551);
    expect(res.header('Unsupported')).toBe('onvif-replay');
    expect(client.rtp.length).toBe(0);
  });

  it('Rate-Control: yes (the default) sends in real time on the camera clock', async () => {
    const client = await openReplay(edgeCam);
    await client.play({ playHeaders: replayHeaders(at(44), at(54), undefined) });
    for (let i = 0; i < 25; i++) clock.advance(40);
    await client.until(() => framesOf(client.rtp, 0).length >= 26, 10_000, '26 frames');
    await sync(client);
    // Frames at offsets 0, 40, …, 1000 ms: 26, and nothing ahead of time.
    expect(framesOf(client.rtp, 0).length).toBe(26);
    client.close();
  });

  it('Rate-Control: no honours backpressure: a reader that stops reading stops the camera', async () => {
    const client = await openReplay(edgeCam);
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
      const client = await openReplay(edgeCam);
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
      const client = await openReplay(edgeCam);
      expect((await client.request('DESCRIBE')).status).toBe(401);
    } finally {
      edgeCam.faults.set({ wrongCredentials: false });
    }
  });
});

describe('networkCut', () => {
  it('refuses and drops RTSP (live and replay) and ONVIF while the card keeps recording', async () => {
    const live = await TestRtspClient.connect(edgeCam.rtspUrl('main', true));
    clients.push(live);
    await live.play();
    const replay = await openReplay(edgeCam);
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
    const { client } = await replayAll(edgeCam, cutStart, cutStart + 10_000);
    const frames = framesOf(client.rtp, 0);
    expect(frames.length).toBeGreaterThanOrEqual(240);
    expect(client.rtp.some((p) => (p.onvif!.flags & (D | E)) !== 0)).toBe(false);
    for (let i = 1; i < frames.length; i++) expect(frames[i]!.ntpMs - frames[i - 1]!.ntpMs).toBeCloseTo(40, 3);
  });
});
