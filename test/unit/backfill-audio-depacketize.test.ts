import { describe, expect, it } from 'vitest';
import { audioSpecificConfig, parseAdts, parseAudioSpecificConfig } from '../../recorder/backfill/aac-config.ts';
import { AacDepacketizer, aacRtpParams, G711Depacketizer, type AudioFrame } from '../../recorder/backfill/audio-depacketizer.ts';
import type { OnvifReplayInfo, RtpHeader } from '../../recorder/backfill/onvif-replay-extension.ts';
import { chooseReplayAudio } from '../../recorder/backfill/replay-audio.ts';
import { parseFmtp, type SdpMedia } from '../../recorder/backfill/sdp-parse.ts';
import { packetizeAacHbr } from '../../recorder/sim/rtp-audio.ts';

const hdr = (sequence: number, timestamp: number, payload: Buffer, marker = true): RtpHeader => ({ marker, payloadType: 97, sequence, timestamp, ssrc: 1, csrcs: [], extension: null, payload });
const info = (ntpMs: number, discontinuity = false): OnvifReplayInfo => ({ ntpMs, cleanPoint: true, endOfSection: false, discontinuity, terminal: false, cseq: 3 });
const plain = (fs: AudioFrame[]) => fs.map((f) => ({ data: f.data.toString('hex'), ts: f.rtpTimestamp, ntp: f.ntpMs, d: f.discontinuity }));

/** AAC-hbr payload with one AU header (13-bit size, 3-bit index 0) per access unit. */
function hbr(aus: Buffer[]): Buffer {
  const heads = Buffer.alloc(2 + aus.length * 2);
  heads.writeUInt16BE(aus.length * 16, 0);
  aus.forEach((a, i) => heads.writeUInt16BE(a.length << 3, 2 + i * 2));
  return Buffer.concat([heads, ...aus]);
}

describe('G.711 depacketizer: the payload is the samples', () => {
  it.each([
    { name: 'one frame per packet with its NTP time', pkts: [[10, 0, 'd5d5'], [11, 160, 'aabb']], want: [{ data: 'd5d5', ts: 0, ntp: 1_000, d: false }, { data: 'aabb', ts: 160, ntp: 1_020, d: false }], lost: 0 },
    { name: 'a lost packet marks the next frame', pkts: [[65_535, 0, '01'], [1, 320, '02']], want: [{ data: '01', ts: 0, ntp: 1_000, d: false }, { data: '02', ts: 320, ntp: 1_040, d: true }], lost: 1 },
    { name: 'an empty payload gives nothing', pkts: [[5, 0, '']], want: [], lost: 0 },
  ] as const)('$name', ({ pkts, want, lost }) => {
    const d = new G711Depacketizer();
    const out = pkts.flatMap(([seq, ts, hex]) => d.push(hdr(seq, ts, Buffer.from(hex, 'hex')), info(1_000 + ts / 8)));
    expect(plain(out)).toEqual(want);
    expect(d.lostPackets).toBe(lost);
  });
  it('the ONVIF D flag marks a discontinuity', () => {
    const d = new G711Depacketizer();
    expect(d.push(hdr(1, 0, Buffer.from([1])), info(5, true))[0]!.discontinuity).toBe(true);
  });
});

describe('AAC (RFC 3640) depacketizer', () => {
  const p = aacRtpParams(parseFmtp('streamtype=5;profile-level-id=15;mode=AAC-hbr;config=1408;sizelength=13;indexlength=3;indexdeltalength=3'));
  const au = (n: number, len = 5) => Buffer.alloc(len, n);
  it('reads the AU-header layout from fmtp, with AAC-hbr defaults', () => {
    expect(p).toEqual({ sizeLength: 13, indexLength: 3, indexDeltaLength: 3 });
    expect(aacRtpParams(new Map())).toEqual({ sizeLength: 13, indexLength: 3, indexDeltaLength: 3 });
    expect(aacRtpParams(parseFmtp('sizelength=6;indexlength=2;indexdeltalength=2'))).toEqual({ sizeLength: 6, indexLength: 2, indexDeltaLength: 2 });
  });
  it.each([
    { name: 'the simulator packetizer: one AU per packet', payloads: [[1, 0, Buffer.concat([packetizeAacHbr(au(1))[0]!.head, au(1)])]], want: [{ data: '0101010101', ts: 0, ntp: 2_000, d: false }] },
    { name: 'two AUs in one packet: the second 1024 ticks later', payloads: [[1, 0, hbr([au(1, 3), au(2, 4)])]], want: [{ data: '010101', ts: 0, ntp: 2_000, d: false }, { data: '02020202', ts: 1024, ntp: 2_064, d: false }] },
  ] as const)('$name', ({ payloads, want }) => {
    const d = new AacDepacketizer(p, 16_000);
    const out = payloads.flatMap(([seq, ts, pl]) => d.push(hdr(seq, ts, pl), info(2_000)));
    expect(plain(out)).toEqual(want);
  });
  it('an AU in fragments is joined up to the marker', () => {
    const d = new AacDepacketizer(p, 16_000);
    const whole = Buffer.from('0102030405060708', 'hex');
    const head = Buffer.from([0, 16, (whole.length << 3) >> 8, (whole.length << 3) & 0xff]);
    expect(d.push(hdr(7, 0, Buffer.concat([head, whole.subarray(0, 3)]), false), info(10))).toEqual([]);
    expect(plain(d.push(hdr(8, 0, Buffer.concat([head, whole.subarray(3)]), true), info(10)))).toEqual([{ data: whole.toString('hex'), ts: 0, ntp: 10, d: false }]);
  });
  it('a lost fragment drops that AU and marks the next frame', () => {
    const d = new AacDepacketizer(p, 16_000);
    const head = Buffer.from([0, 16, 0, 8 << 3]);
    d.push(hdr(7, 0, Buffer.concat([head, au(1, 3)]), false), info(10));
    const out = d.push(hdr(9, 1024, hbr([au(2)])), info(74));
    expect(plain(out)).toEqual([{ data: '0202020202', ts: 1024, ntp: 74, d: true }]);
    expect(d.lostPackets).toBe(1);
    expect(d.droppedFrames).toBe(1);
  });
  it('a truncated AU is dropped, never emitted short', () => {
    const d = new AacDepacketizer(p, 16_000);
    const pl = hbr([au(1, 10)]).subarray(0, 8);
    expect(d.push(hdr(1, 0, pl, true), info(0))).toEqual([]);
    expect(d.droppedFrames).toBe(1);
  });
});

describe('AAC config', () => {
  it.each([
    { hex: '1408', want: { objectType: 2, sampleRate: 16_000, channels: 1 } },
    { hex: '1588', want: { objectType: 2, sampleRate: 8_000, channels: 1 } },
    { hex: '1190', want: { objectType: 2, sampleRate: 48_000, channels: 2 } },
    { hex: 'zz', want: null },
    { hex: '', want: null },
    { hex: '0008', want: null },
  ])('config=$hex', ({ hex, want }) => {
    const c = parseAudioSpecificConfig(hex);
    expect(c ? { objectType: c.objectType, sampleRate: c.sampleRate, channels: c.channels } : null).toEqual(want);
  });
  it('builds the ASC of an ADTS stream, frames without headers', () => {
    expect(audioSpecificConfig(2, 8_000, 1).toString('hex')).toBe('1588');
    const frame = (body: Buffer) => {
      const len = body.length + 7;
      return Buffer.concat([Buffer.from([0xff, 0xf1, (1 << 6) | (11 << 2), (1 << 6) | (len >> 11), (len >> 3) & 0xff, ((len & 7) << 5) | 0x1f, 0xfc]), body]);
    };
    const r = parseAdts(Buffer.concat([frame(Buffer.from([1, 2])), frame(Buffer.from([3])), Buffer.from([0xff, 0xf1, 0])]));
    expect(r.config?.asc.toString('hex')).toBe('1588');
    expect(r.frames.map((f) => f.toString('hex'))).toEqual(['0102', '03']);
  });
});

describe('which replayed audio is stored (as live: AAC copied, G.711 encoded, else none)', () => {
  const media = (encoding: string, clockRate: number, fmtp = ''): SdpMedia => ({ kind: 'audio', payloadType: 97, encoding, clockRate, channels: 1, fmtp: parseFmtp(fmtp), controlUrl: 'rtsp://x/trackID=1', frameRate: null, onvifTrack: null });
  it.each([
    { name: 'no audio track', m: undefined, setting: 'auto', want: 'none' },
    { name: 'audio off', m: media('PCMA', 8000), setting: 'off', want: 'none' },
    { name: 'PCMA', m: media('PCMA', 8000), setting: 'auto', want: 'g711 PCMA 8000' },
    { name: 'PCMU', m: media('PCMU', 8000), setting: 'auto', want: 'g711 PCMU 8000' },
    { name: 'AAC', m: media('MPEG4-GENERIC', 16000, 'config=1408;sizelength=13'), setting: 'auto', want: 'aac 16000' },
    { name: 'AAC without config', m: media('MPEG4-GENERIC', 16000), setting: 'auto', want: 'left out: its AAC audio has no usable config= in the SDP' },
    { name: 'G.726', m: media('G726-32', 8000), setting: 'auto', want: 'left out: its G726-32 audio cannot be stored (AAC and G.711 can)' },
  ] as const)('$name', ({ m, setting, want }) => {
    const c = chooseReplayAudio(m, setting);
    const got = 'none' in c ? 'none' : 'leftOut' in c ? `left out: ${c.leftOut}` : c.plan.codec === 'g711' ? `g711 ${c.plan.encoding} ${c.plan.sampleRate}` : `aac ${c.plan.config.sampleRate}`;
    expect(got).toBe(want);
  });
});
