/** ISO BMFF box builders shared by the segment writer's video and audio parts. Pure. */

export function box(type: string, ...parts: Buffer[]): Buffer {
  const size = 8 + parts.reduce((n, p) => n + p.length, 0);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(size, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, ...parts]);
}

export function fullBox(type: string, version: number, flags: number, ...parts: Buffer[]): Buffer {
  const vf = Buffer.alloc(4);
  vf.writeUInt32BE(((version & 0xff) << 24) | (flags & 0xffffff), 0);
  return box(type, vf, ...parts);
}

export function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

export const MATRIX = u32s(0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000);

/** dinf with one self-contained data reference. */
export function dinf(): Buffer {
  return box('dinf', fullBox('dref', 0, 0, u32s(1), fullBox('url ', 0, 1)));
}

/** Empty sample tables (fragmented file) around a sample description. */
export function emptyStbl(sampleEntry: Buffer): Buffer {
  const stsd = fullBox('stsd', 0, 0, u32s(1), sampleEntry);
  return box('stbl', stsd, fullBox('stts', 0, 0, u32s(0)), fullBox('stsc', 0, 0, u32s(0)), fullBox('stsz', 0, 0, u32s(0, 0)), fullBox('stco', 0, 0, u32s(0)));
}
