import { describe, expect, it } from 'vitest';
import { H265Depacketizer, parseH265Sprops } from '../../recorder/backfill/h265-depacketizer.ts';
import type { AccessUnit } from '../../recorder/backfill/video-depacketizer.ts';
import { parseRtpHeader } from '../../recorder/backfill/onvif-replay-extension.ts';
import { packetizeH265 } from '../../recorder/sim/rtp-h265.ts';
import { rtp, type Pkt } from '../helpers/rtp-test-packets.ts';

// Two-byte NAL headers: type << 1 in the first byte, LayerId 0, TID 1.
const nal = (type: number, fill: number, size: number) => Buffer.concat([Buffer.from([type << 1, 1]), Buffer.alloc(size - 2, fill)]);
const VPS = nal(32, 0xa1, 24);
const SPS = nal(33, 0xa2, 40);
const PPS = nal(34, 0xa3, 8);
const idr = (n: number, size = 300) => nal(19, n, size); // IDR_W_RADL
const cra = (n: number, size = 300) => nal(21, n, size); // CRA: an IRAP too
const trail = (n: number, size = 120) => nal(1, n, size); // TRAIL_R

function packets(aus: Buffer[][], startSeq = 65_533): Pkt[] {
  let seq = startSeq;
  const out: Pkt[] = [];
  aus.forEach((nals, i) => {
    for (const pl of packetizeH265(nals, 64)) out.push({ seq: seq++, ts: 5000 + i * 3600, marker: pl.marker, payload: Buffer.concat([pl.head, pl.body]) });
  });
  return out;
}

function run(pkts: Pkt[], params: Buffer[] = [VPS, SPS, PPS]): { aus: AccessUnit[]; d: H265Depacketizer } {
  const d = new H265Depacketizer(params);
  const aus: AccessUnit[] = [];
  for (const p of pkts) aus.push(...d.push(parseRtpHeader(rtp(p))!));
  return { aus, d };
}

/** An aggregation packet (type 48) of NAL units, without DONL. */
const ap = (...nals: Buffer[]) => Buffer.concat([Buffer.from([48 << 1, 1]), ...nals.flatMap((n) => [Buffer.from([n.length >> 8, n.length & 0xff]), n])]);

describe('H.265 depacketizer (RFC 7798)', () => {
  it('single NAL units, FUs (with the NAL header rebuilt) and the sequence wrap give whole access units', () => {
    const aus = [[VPS, SPS, PPS, idr(1, 500)], [trail(2, 30)], [trail(3, 200)], [cra(4, 300)]];
    const { aus: out, d } = run(packets(aus));
    expect(out.map((a) => a.nalUnits)).toEqual(aus);
    expect(out.map((a) => a.keyframe)).toEqual([true, false, false, true]);
    expect(out.map((a) => a.rtpTimestamp)).toEqual([5000, 8600, 12200, 15800]);
    expect(d.lostPackets).toBe(0);
  });

  it('aggregation packets are split', () => {
    const { aus } = run([{ seq: 1, ts: 0, marker: true, payload: ap(VPS, SPS, PPS, idr(7, 40)) }], []);
    expect(aus.map((a) => a.nalUnits)).toEqual([[VPS, SPS, PPS, idr(7, 40)]]);
  });

  it.each([
    ['a truncated aggregation packet', Buffer.concat([Buffer.from([48 << 1, 1, 0, 90]), Buffer.alloc(10)])],
    ['a PACI packet (type 50)', Buffer.from([50 << 1, 1, 0, 0, 0])],
    ['a one-byte payload', Buffer.from([2])],
  ])('%s spoils its access unit and the decoder waits for the next keyframe', (_name, bad) => {
    const pk: Pkt[] = [
      ...packets([[idr(1)], [trail(2)]], 100),
      { seq: 104, ts: 5000 + 2 * 3600, marker: true, payload: bad },
      ...packets([[trail(4)], [idr(5)]], 105).map((p) => ({ ...p, ts: p.ts + 3 * 3600 })),
    ];
    const { aus, d } = run(pk.map((p, i) => ({ ...p, seq: 100 + i })));
    expect(aus.map((a) => (a.rtpTimestamp - 5000) / 3600)).toEqual([0, 1, 4]);
    expect(aus.at(-1)!.discontinuity).toBe(true);
    expect(d.droppedAccessUnits).toBe(2);
  });

  it('without a VPS nothing is emitted: the keyframe waits for all three parameter sets', () => {
    const { aus } = run(packets([[SPS, PPS, idr(1)], [trail(2)], [VPS, SPS, PPS, idr(3)]]), []);
    expect(aus.map((a) => (a.rtpTimestamp - 5000) / 3600)).toEqual([2]);
  });

  it('a lost middle fragment drops the frame and what depends on it, up to the next IRAP', () => {
    const aus = [[idr(0, 400)], [trail(1, 200)], [trail(2, 200)], [cra(3, 300)]];
    const pk = packets(aus);
    const firstOfFrame1 = pk.findIndex((p) => p.ts === 5000 + 3600);
    const { aus: out, d } = run(pk.filter((_, i) => i !== firstOfFrame1 + 1));
    expect(out.map((a) => (a.rtpTimestamp - 5000) / 3600)).toEqual([0, 3]);
    expect(d.lostPackets).toBe(1);
  });

  it('sprop-vps/sps/pps parse from the fmtp', () => {
    const fmtp = new Map([['sprop-vps', VPS.toString('base64')], ['sprop-sps', SPS.toString('base64')], ['sprop-pps', PPS.toString('base64')]]);
    expect(parseH265Sprops(fmtp)).toEqual([VPS, SPS, PPS]);
    const d = new H265Depacketizer(parseH265Sprops(fmtp));
    expect([d.vps, d.sps, d.pps]).toEqual([VPS, SPS, PPS]);
  });
});
