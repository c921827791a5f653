import { describe, expect, it } from 'vitest';
import { H264Depacketizer, parseSpropParameterSets, type AccessUnit } from '../../recorder/backfill/h264-depacketizer.ts';
import { encodeOnvifReplayExtension, ntpToEpochMs, parseOnvifReplayExtension, parseRtpHeader, type OnvifReplayInfo } from '../../recorder/backfill/onvif-replay-extension.ts';
import { packetizeH264 } from '../../recorder/sim/rtp-h264.ts';
import { rtp, type Pkt } from '../helpers/rtp-test-packets.ts';

const SPS = Buffer.from([0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00]);
const PPS = Buffer.from([0x68, 0xce, 0x3c, 0x80]);
const idr = (n: number, size = 100) => Buffer.concat([Buffer.from([0x65]), Buffer.alloc(size - 1, n)]);
const pslice = (n: number, size = 100) => Buffer.concat([Buffer.from([0x41]), Buffer.alloc(size - 1, n)]);

/** Packets of access units (each a list of NAL units) through the simulator's packetizer. */
function packets(aus: Buffer[][], opts: { startSeq?: number; maxPayload?: number } = {}): Pkt[] {
  let seq = opts.startSeq ?? 65_530; // crosses the 16-bit wrap
  const out: Pkt[] = [];
  aus.forEach((nals, i) => {
    for (const pl of packetizeH264(nals, opts.maxPayload ?? 60)) out.push({ seq: seq++, ts: 1000 + i * 3600, marker: pl.marker, payload: Buffer.concat([pl.head, pl.body]) });
  });
  return out;
}

function run(pkts: Pkt[], params: Buffer[] = [SPS, PPS]): { aus: AccessUnit[]; d: H264Depacketizer } {
  const d = new H264Depacketizer(params);
  const aus: AccessUnit[] = [];
  for (const p of pkts) {
    const h = parseRtpHeader(rtp(p))!;
    aus.push(...d.push(h, parseOnvifReplayExtension(h)));
  }
  return { aus, d };
}

const gop = (start: number, len: number) => Array.from({ length: len }, (_, i) => [i === 0 ? idr(start + i, 150) : pslice(start + i, 130)]);

describe('RTP header and ONVIF replay extension', () => {
  const info: OnvifReplayInfo = { ntpMs: Date.UTC(2026, 0, 5, 3, 0, 0, 123), cleanPoint: true, endOfSection: false, discontinuity: true, terminal: false, cseq: 7 };
  const cases: Array<{ name: string; pkt: Pkt; want: Partial<ReturnType<typeof parseRtpHeader>> & { payloadLen: number }; replay: OnvifReplayInfo | null }> = [
    { name: 'plain header', pkt: { seq: 1, ts: 90_000, marker: true, payload: Buffer.from([0x65, 1, 2]) }, want: { sequence: 1, timestamp: 90_000, marker: true, payloadType: 96, payloadLen: 3 }, replay: null },
    { name: 'CSRCs are skipped', pkt: { seq: 2, ts: 1, marker: false, payload: Buffer.from([0x41, 9]), csrcs: [5, 6] }, want: { csrcs: [5, 6], payloadLen: 2 }, replay: null },
    { name: 'ONVIF extension with flags and CSeq', pkt: { seq: 3, ts: 2, marker: false, payload: Buffer.from([0x41]), ext: encodeOnvifReplayExtension(info) }, want: { payloadLen: 1 }, replay: info },
    { name: 'extension plus padding', pkt: { seq: 4, ts: 2, marker: false, payload: Buffer.from([0x41, 1]), ext: encodeOnvifReplayExtension({ ...info, cleanPoint: false, terminal: true, discontinuity: false }), padding: 3 }, want: { payloadLen: 2 }, replay: { ...info, cleanPoint: false, terminal: true, discontinuity: false } },
    {
      name: 'another profile is not ONVIF',
      pkt: { seq: 5, ts: 2, marker: false, payload: Buffer.from([0x41]), ext: Buffer.from([0xbe, 0xde, 0, 1, 0x10, 0xff, 0, 0]) },
      want: { payloadLen: 1 },
      replay: null,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const h = parseRtpHeader(rtp(c.pkt))!;
      const { payloadLen, ...fields } = c.want;
      expect(h).toMatchObject(fields);
      expect(h.payload.length).toBe(payloadLen);
      expect(parseOnvifReplayExtension(h)).toEqual(c.replay);
    });
  }
  it('NTP fraction to ms', () => {
    expect(ntpToEpochMs(2_208_988_800 + 10, 0x8000_0000)).toBe(10_500);
  });
  it('malformed packets give null', () => {
    expect(parseRtpHeader(Buffer.alloc(8))).toBeNull();
    expect(parseRtpHeader(Buffer.from([0x40, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]))).toBeNull(); // version 1
    expect(parseRtpHeader(Buffer.from([0x90, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xac, 0, 3]))).toBeNull(); // extension runs past the end
  });
});

describe('H.264 depacketizer (RFC 6184)', () => {
  it('single NAL units, FU-A and the 16-bit sequence wrap give whole access units', () => {
    const aus = [[SPS, PPS, idr(1, 400)], [pslice(2, 30)], [pslice(3, 200)]];
    const { aus: out, d } = run(packets(aus));
    expect(out.map((a) => a.nalUnits)).toEqual(aus);
    expect(out.map((a) => a.keyframe)).toEqual([true, false, false]);
    expect(out.map((a) => a.rtpTimestamp)).toEqual([1000, 4600, 8200]);
    expect(d.lostPackets).toBe(0);
  });

  it('STAP-A aggregates are split', () => {
    const stap = Buffer.concat([Buffer.from([0x18, 0, SPS.length]), SPS, Buffer.from([0, PPS.length]), PPS, Buffer.from([0, 50]), idr(1, 50)]);
    const { aus } = run([{ seq: 1, ts: 0, marker: true, payload: stap }], []);
    expect(aus.map((a) => a.nalUnits)).toEqual([[SPS, PPS, idr(1, 50)]]);
  });

  it('an access unit ends when the timestamp changes even without a marker', () => {
    const pk = packets(gop(1, 3)).map((p) => ({ ...p, marker: false }));
    const { aus } = run(pk);
    expect(aus.length).toBe(2); // the last one waits for its end
  });

  it('in-band SPS/PPS are learnt; without any, nothing is emitted before them', () => {
    const sps2 = Buffer.from([0x67, 0x64, 0x00, 0x28, 0xac]);
    const { aus, d } = run(packets([[pslice(0)], [sps2, PPS, idr(1)], [pslice(2)]]), []);
    expect(aus.map((a) => a.keyframe)).toEqual([true, false]);
    expect(d.sps).toEqual(sps2);
    expect(aus[0]!.discontinuity).toBe(true);
  });

  it('a parameter-set-only packet with its own timestamp joins the next picture', () => {
    const pk: Pkt[] = [
      { seq: 10, ts: 0, marker: true, payload: SPS },
      { seq: 11, ts: 0, marker: true, payload: PPS },
      { seq: 12, ts: 3600, marker: true, payload: idr(1, 40) },
    ];
    expect(run(pk, []).aus.map((a) => a.nalUnits)).toEqual([[SPS, PPS, idr(1, 40)]]);
  });

  const lossCases: Array<{ name: string; drop: (p: Pkt[], aus: Buffer[][]) => Pkt[]; wantFrames: number[] }> = [
    { name: 'second FU-A fragment of a P frame lost', drop: (p) => p.filter((x, i) => i !== p.findIndex((y) => y.ts === 1000 + 2 * 3600) + 1), wantFrames: [0, 1, 10, 11] },
    { name: 'first packet of an IDR lost: everything to the next IDR dropped', drop: (p) => p.filter((x, i) => i !== p.findIndex((y) => y.ts === 1000)), wantFrames: [10, 11] },
    { name: 'marker packet lost: that unit and the next ones to the keyframe dropped', drop: (p) => p.filter((x) => !(x.ts === 1000 + 5 * 3600 && x.marker)), wantFrames: [0, 1, 2, 3, 4, 10, 11] },
    { name: 'a whole P frame lost', drop: (p) => p.filter((x) => x.ts !== 1000 + 7 * 3600), wantFrames: [0, 1, 2, 3, 4, 5, 6, 10, 11] },
  ];
  for (const c of lossCases) {
    it(`lost packets: ${c.name}; never a corrupt unit`, () => {
      const aus = [...gop(0, 10), ...gop(10, 2)];
      const { aus: out, d } = run(c.drop(packets(aus), aus));
      const frames = out.map((a) => (a.rtpTimestamp - 1000) / 3600);
      expect(frames).toEqual(c.wantFrames);
      for (const a of out) expect(a.nalUnits).toEqual(aus[(a.rtpTimestamp - 1000) / 3600]);
      expect(out.find((a) => a.rtpTimestamp === 1000 + 10 * 3600)?.discontinuity).toBe(true);
      expect(d.droppedAccessUnits).toBeGreaterThan(0);
    });
  }

  it('ONVIF times and D flag are carried to the access unit', () => {
    const base = Date.UTC(2026, 0, 5, 3, 0, 0);
    const pk = packets(gop(0, 3)).map((p) => ({ ...p, ext: encodeOnvifReplayExtension({ ntpMs: base + ((p.ts - 1000) / 3600) * 40, cleanPoint: p.ts === 1000, endOfSection: false, discontinuity: p.ts === 1000 + 2 * 3600, terminal: false, cseq: 4 }) }));
    const { aus } = run(pk);
    expect(aus.map((a) => [a.ntpMs! - base, a.discontinuity])).toEqual([
      [0, false],
      [40, false],
      [80, true],
    ]);
  });

  it('sprop-parameter-sets parse', () => {
    expect(parseSpropParameterSets(`${SPS.toString('base64')},${PPS.toString('base64')}`)).toEqual([SPS, PPS]);
  });
});
