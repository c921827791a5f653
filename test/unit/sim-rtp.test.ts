import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import type { PacketizedVideo } from '../../recorder/sim/camera-media.ts';
import { parseAdts, type VideoLoop } from '../../recorder/sim/media-loop.ts';
import { msToNtp, ntpToMs } from '../../recorder/sim/rtcp.ts';
import { packetizeAacHbr } from '../../recorder/sim/rtp-audio.ts';
import { packetizeH264 } from '../../recorder/sim/rtp-h264.ts';
import { packetizeH265 } from '../../recorder/sim/rtp-h265.ts';
import { RtspAuthenticator } from '../../recorder/sim/rtsp-auth.ts';
import { type RtspRequest, RtspRequestParser } from '../../recorder/sim/rtsp-message.ts';
import { StreamTimeline, type TimelineFrame } from '../../recorder/sim/stream-timeline.ts';
import { TokenBucket } from '../../recorder/sim/token-bucket.ts';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

function nal(header: number[], length: number): Buffer {
  const b = Buffer.alloc(length, 0xab);
  Buffer.from(header).copy(b);
  return b;
}

describe('H.264 packetizer (RFC 6184)', () => {
  it('sends small NAL units alone and fragments large ones into FU-A that reassemble exactly', () => {
    const sps = nal([0x67, 0x64, 0x00, 0x28], 20);
    const idr = nal([0x65], 3000);
    const packets = packetizeH264([sps, idr], 1400);
    expect(packets[0]!.body).toBe(sps);
    expect(packets[0]!.marker).toBe(false);
    const fus = packets.slice(1);
    expect(fus.length).toBe(3);
    expect(fus.map((p) => p.head[0])).toEqual([0x7c, 0x7c, 0x7c]); // NRI 3, type 28
    expect(fus.map((p) => p.head[1]! & 0xc0)).toEqual([0x80, 0x00, 0x40]); // start, middle, end
    expect(fus.every((p) => (p.head[1]! & 0x1f) === 5)).toBe(true);
    expect(fus.map((p) => p.marker)).toEqual([false, false, true]);
    expect(fus.every((p) => p.head.length + p.body.length <= 1400)).toBe(true);
    const rebuilt = Buffer.concat([Buffer.from([(fus[0]!.head[0]! & 0xe0) | (fus[0]!.head[1]! & 0x1f)]), ...fus.map((p) => p.body)]);
    expect(rebuilt.equals(idr)).toBe(true);
  });
});

describe('H.265 packetizer (RFC 7798)', () => {
  it('fragments with type-49 FUs whose headers rebuild the NAL header', () => {
    const idr = nal([19 << 1, 0x01], 2500); // IDR_W_RADL, TID 1
    const packets = packetizeH265([idr], 1400);
    expect(packets.length).toBe(2);
    for (const p of packets) expect([(p.head[0]! >> 1) & 0x3f, p.head[1], p.head[2]! & 0x3f]).toEqual([49, 0x01, 19]);
    expect(packets.map((p) => p.head[2]! & 0xc0)).toEqual([0x80, 0x40]);
    expect(packets.map((p) => p.marker)).toEqual([false, true]);
    const rebuilt = Buffer.concat([Buffer.from([19 << 1, 0x01]), ...packets.map((p) => p.body)]);
    expect(rebuilt.equals(idr)).toBe(true);
  });
});

describe('AAC', () => {
  it('writes one 16-bit AU header (size 13 bits, index 3 bits) per packet', () => {
    const [p] = packetizeAacHbr(Buffer.alloc(371));
    expect([...p!.head]).toEqual([0x00, 0x10, (371 << 3) >> 8, (371 << 3) & 0xff]);
    expect(p!.marker).toBe(true);
  });

  it('reads ADTS frames and derives the AudioSpecificConfig', () => {
    const frame = (payload: number) => {
      const len = 7 + payload;
      // sync, MPEG-4, no CRC; AAC LC (profile 1), 16 kHz (index 8), mono
      return Buffer.concat([Buffer.from([0xff, 0xf1, 0x60, 0x40 | (len >> 11), (len >> 3) & 0xff, ((len & 7) << 5) | 0x1f, 0xfc]), Buffer.alloc(payload, 1)]);
    };
    const loop = parseAdts(Buffer.concat([frame(10), frame(20)]));
    expect(loop.frames.map((f) => f.length)).toEqual([10, 20]);
    expect(loop.sampleRate).toBe(16000);
    expect(loop.audioSpecificConfig!.toString('hex')).toBe('1408');
  });
});

describe('RTCP NTP time', () => {
  it('maps epoch ms to NTP and back', () => {
    expect(msToNtp(0)).toEqual({ seconds: 2_208_988_800, fraction: 0 });
    const t = Date.UTC(2026, 0, 5, 2, 0, 0) + 250;
    const ntp = msToNtp(t);
    expect(ntp.fraction).toBe(2 ** 30);
    expect(ntpToMs(ntp.seconds, ntp.fraction)).toBe(t);
  });
});

describe('RTSP authentication', () => {
  const clock = new ManualClock();
  let rejectAll = false;
  const auth = new RtspAuthenticator({ realm: 'cam', username: 'admin', password: 's3cret', clock, rejectAll: () => rejectAll });
  const nonceOf = () => /nonce="([^"]+)"/.exec(auth.challenge()[0]![1])![1]!;
  const digest = (nonce: string, password: string, extra = '') => {
    const ha1 = md5(`admin:cam:${password}`);
    const ha2 = md5('DESCRIBE:rtsp://h/main');
    const response = extra ? md5(`${ha1}:${nonce}:00000001:abc:auth:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
    return `Digest username="admin", realm="cam", nonce="${nonce}", uri="rtsp://h/main", response="${response}"${extra}`;
  };

  it('accepts Digest (with and without qop) and Basic with the right password only', () => {
    const nonce = nonceOf();
    expect(auth.check('DESCRIBE', digest(nonce, 's3cret'))).toBe(true);
    expect(auth.check('DESCRIBE', digest(nonce, 's3cret', ', qop=auth, nc=00000001, cnonce="abc"'))).toBe(true);
    expect(auth.check('DESCRIBE', digest(nonce, 'wrong'))).toBe(false);
    expect(auth.check('DESCRIBE', digest('not-issued', 's3cret'))).toBe(false);
    expect(auth.check('DESCRIBE', `Basic ${Buffer.from('admin:s3cret').toString('base64')}`)).toBe(true);
    expect(auth.check('DESCRIBE', `Basic ${Buffer.from('admin:nope').toString('base64')}`)).toBe(false);
    expect(auth.check('DESCRIBE', undefined)).toBe(false);
  });

  it('rejects everything while the wrongCredentials fault holds, and expired nonces', () => {
    const nonce = nonceOf();
    rejectAll = true;
    expect(auth.check('DESCRIBE', digest(nonce, 's3cret'))).toBe(false);
    rejectAll = false;
    clock.advance(11 * 60_000);
    expect(auth.check('DESCRIBE', digest(nonce, 's3cret'))).toBe(false);
  });
});

describe('RTSP request parser', () => {
  it('parses requests split across chunks, bodies, and interleaved frames between them', () => {
    const requests: RtspRequest[] = [];
    const frames: number[] = [];
    const parser = new RtspRequestParser({ request: (r) => requests.push(r), interleaved: (ch) => frames.push(ch) });
    const wire = Buffer.concat([
      Buffer.from('OPTIONS rtsp://h/main RTSP/1.0\r\nCSeq: 1\r\n\r\n'),
      Buffer.from([0x24, 1, 0, 2, 9, 9]),
      Buffer.from('SET_PARAMETER rtsp://h/main RTSP/1.0\r\nCSeq: 2\r\nContent-Length: 4\r\n\r\nabcd'),
    ]);
    for (let i = 0; i < wire.length; i += 7) parser.push(wire.subarray(i, i + 7));
    expect(requests.map((r) => [r.method, r.headers.get('cseq'), r.body.toString()])).toEqual([
      ['OPTIONS', '1', ''],
      ['SET_PARAMETER', '2', 'abcd'],
    ]);
    expect(frames).toEqual([1]);
  });
});

/** A synthetic 10-frame loop with keyframes at 0 and 5; each payload body names its source. */
function fakeVideo(name: string): PacketizedVideo {
  const frames = Array.from({ length: 10 }, (_, i) => ({ ptsTicks: i * 3600, dtsTicks: i * 3600, keyframe: i % 5 === 0, nalUnits: [] }));
  const loop: VideoLoop = {
    codec: 'h264', width: 1, height: 1, fps: 25, frameTicks: 3600, durationTicks: 36_000, frames,
    parameterSets: { sps: Buffer.alloc(4), pps: Buffer.alloc(1) }, hasBFrames: false,
  };
  return { loop, payloads: frames.map(() => [{ head: Buffer.alloc(0), body: Buffer.from(name), marker: true }]) };
}

describe('StreamTimeline', () => {
  it('starts a new listener at the GOP keyframe and keeps media time running across loops', () => {
    const clock = new ManualClock();
    const timeline = new StreamTimeline({ clock, video: fakeVideo('main') });
    clock.advance(290); // frame 7 is due: its GOP starts at frame 5
    const got: TimelineFrame[] = [];
    const { backlog, unsubscribe } = timeline.subscribe((f) => got.push(f));
    expect(backlog.map((f) => f.index)).toEqual([5, 6, 7]);
    expect(backlog[0]).toMatchObject({ kind: 'video', keyframe: true });
    clock.advance(400);
    expect(got.map((f) => f.index)).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect(got.map((f) => f.ticks)).toEqual(got.map((f) => f.index * 3600)); // loop 1 adds one loop length
    unsubscribe();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('switches to the alternate source only at a keyframe', () => {
    const clock = new ManualClock();
    let alt = false;
    const timeline = new StreamTimeline({ clock, video: fakeVideo('main'), alternate: fakeVideo('alt'), useAlternate: () => alt });
    const got: TimelineFrame[] = [];
    timeline.subscribe((f) => got.push(f));
    clock.advance(40 * 2);
    alt = true;
    clock.advance(40 * 6);
    expect(got.map((f) => `${f.index}:${f.payloads[0]!.body.toString()}`)).toEqual(['1:main', '2:main', '3:main', '4:main', '5:alt', '6:alt', '7:alt', '8:alt']);
    timeline.stop();
  });
});

describe('TokenBucket', () => {
  it('lets through at most capacity plus rate x time', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(clock, 1000);
    expect(bucket.take(800)).toBe(true);
    expect(bucket.take(300)).toBe(false);
    clock.advance(100);
    expect(bucket.take(300)).toBe(true);
    clock.advance(10_000);
    expect(bucket.take(1001)).toBe(false);
    expect(bucket.take(1000)).toBe(true);
  });
});
