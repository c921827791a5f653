/** RTP packets built by hand for depacketizer tests (RFC 3550 fixed header, payload type 96). */
export interface Pkt {
  seq: number;
  ts: number;
  marker: boolean;
  payload: Buffer;
  ext?: Buffer;
  csrcs?: number[];
  padding?: number;
}

export function rtp(p: Pkt): Buffer {
  const cc = p.csrcs?.length ?? 0;
  const head = Buffer.alloc(12 + cc * 4);
  head[0] = 0x80 | (p.ext ? 0x10 : 0) | (p.padding ? 0x20 : 0) | cc;
  head[1] = (p.marker ? 0x80 : 0) | 96;
  head.writeUInt16BE(p.seq & 0xffff, 2);
  head.writeUInt32BE(p.ts >>> 0, 4);
  head.writeUInt32BE(0x1234, 8);
  p.csrcs?.forEach((c, i) => head.writeUInt32BE(c, 12 + i * 4));
  const pad = p.padding ? Buffer.concat([Buffer.alloc(p.padding - 1), Buffer.from([p.padding])]) : Buffer.alloc(0);
  return Buffer.concat([head, p.ext ?? Buffer.alloc(0), p.payload, pad]);
}
