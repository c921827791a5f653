import { describe, expect, it } from 'vitest';
import { Fmp4Splitter, type Fmp4Piece } from '../../recorder/live/fmp4-splitter.ts';
import { avcCodecString, hevcCodecString } from '../../recorder/live/codec-string.ts';

function box(type: string, payload: Buffer | string = ''): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
}

function largeBox(type: string, payload: string): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(1, 0);
  head.write(type, 4, 'latin1');
  head.writeBigUInt64BE(BigInt(16 + payload.length), 8);
  return Buffer.concat([head, Buffer.from(payload)]);
}

const ftyp = box('ftyp', 'isom');
const moov = box('moov', 'tracks');
const moof1 = box('moof', 'frag-1');
const mdat1 = box('mdat', 'media-1');
const moof2 = box('moof', 'frag-2');
const mdat2 = largeBox('mdat', 'media-2-large');
const stream = Buffer.concat([ftyp, moov, moof1, mdat1, box('free', 'x'), moof2, mdat2, box('mfra', 'index')]);
const want: Fmp4Piece[] = [
  { kind: 'init', bytes: Buffer.concat([ftyp, moov]) },
  { kind: 'fragment', bytes: Buffer.concat([moof1, mdat1]) },
  { kind: 'fragment', bytes: Buffer.concat([moof2, mdat2]) },
];

function splitIn(chunks: Buffer[]): { pieces: Fmp4Piece[]; broken: string | null } {
  const s = new Fmp4Splitter(1024);
  const pieces: Fmp4Piece[] = [];
  let broken: string | null = null;
  for (const c of chunks) {
    const r = s.push(c);
    pieces.push(...r.pieces);
    broken ??= r.broken;
  }
  return { pieces, broken };
}

describe('fMP4 splitter', () => {
  it.each([1, 2, 3, 7, 8, 9, 15, 16, 17, 64, stream.length])('cuts init and fragments from chunks of %i bytes', (size) => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size));
    expect(splitIn(chunks)).toEqual({ pieces: want, broken: null });
  });

  it('cuts at every split point of the stream', () => {
    for (let at = 0; at <= stream.length; at++) {
      expect(splitIn([stream.subarray(0, at), stream.subarray(at)]).pieces).toEqual(want);
    }
  });

  it('holds only the unfinished box', () => {
    const s = new Fmp4Splitter();
    s.push(Buffer.concat([ftyp, moov, moof1, mdat1.subarray(0, 5)]));
    expect(s.heldBytes).toBe(5);
  });

  it.each([
    ['a box larger than allowed', Buffer.concat([ftyp, (() => { const b = box('mdat', 'x'); b.writeUInt32BE(4096, 0); return b; })()]), /more than the 1024 allowed/],
    ['a size smaller than the header', Buffer.concat([ftyp, Buffer.from([0, 0, 0, 4, 0x6d, 0x6f, 0x6f, 0x66])]), /less than its header/],
    ['a box to the end of the stream', Buffer.concat([ftyp, Buffer.from([0, 0, 0, 0, 0x6d, 0x64, 0x61, 0x74])]), /to the end of the stream/],
    ['an mdat without its moof', Buffer.concat([ftyp, moov, mdat1]), /without the moof/],
  ])('stops on %s and reports it once', (_name, bytes, reason) => {
    const s = new Fmp4Splitter(1024);
    const first = s.push(bytes);
    expect(first.broken).toMatch(reason);
    expect(s.push(Buffer.concat([moof1, mdat1]))).toEqual({ pieces: [], broken: null });
    expect(s.heldBytes).toBe(0);
  });
});

describe('codec strings for MediaSource', () => {
  it.each([
    [[0x01, 0x64, 0x00, 0x28, 0xff], 'avc1', 'avc1.640028'],
    [[0x01, 0x42, 0xc0, 0x1e, 0xff], 'avc1', 'avc1.42c01e'],
    [[0x01, 0x4d, 0x40, 0x1f, 0xff], 'avc3', 'avc3.4d401f'],
  ])('avcC %j → %s', (bytes, fourcc, want) => {
    expect(avcCodecString(fourcc, Buffer.from(bytes))).toBe(want);
  });

  const hvcC = (b1: number, compat: number, constraints: number[], level: number) => {
    const b = Buffer.alloc(23);
    b[0] = 1;
    b[1] = b1;
    b.writeUInt32BE(compat >>> 0, 2);
    Buffer.from(constraints).copy(b, 6);
    b[12] = level;
    return b;
  };
  it.each([
    // ISO/IEC 14496-15 annex E examples
    [hvcC(0x01, 0x60000000, [0xb0, 0, 0, 0, 0, 0], 93), 'hev1', 'hev1.1.6.L93.b0'],
    [hvcC(0x02, 0x20000000, [0xb0, 0, 0, 0, 0, 0], 120), 'hev1', 'hev1.2.4.L120.b0'],
    [hvcC(0x22, 0x20000000, [0xb0, 0x23, 0, 0, 0, 0], 120), 'hvc1', 'hvc1.2.4.H120.b0.23'],
    [hvcC(0x01, 0x60000000, [0, 0, 0, 0, 0, 0], 90), 'hvc1', 'hvc1.1.6.L90'],
  ])('hvcC → %s', (bytes, fourcc, want) => {
    expect(hevcCodecString(fourcc, bytes)).toBe(want);
  });
});
