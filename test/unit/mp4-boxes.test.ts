import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initSegmentLength, scanTopLevelBoxes, topLevelBoxes } from '../../src/mp4-boxes.ts';

/** A box: 32-bit size header, or the 64-bit form (size field 1) when large is set. */
function box(type: string, payloadBytes: number, opts: { large?: boolean; sizeField?: number } = {}): Buffer {
  const header = opts.large ? 16 : 8;
  const b = Buffer.alloc(header + payloadBytes, 0xab);
  b.writeUInt32BE(opts.sizeField ?? (opts.large ? 1 : header + payloadBytes), 0);
  b.write(type, 4, 'latin1');
  if (opts.large) b.writeBigUInt64BE(BigInt(header + payloadBytes), 8);
  return b;
}
const cat = (...parts: Buffer[]) => Buffer.concat(parts);

describe('top-level boxes of synthetic files', () => {
  it.each([
    ['ftyp moov moof mdat', cat(box('ftyp', 16), box('moov', 100), box('moof', 40), box('mdat', 300)), ['ftyp@0+24', 'moov@24+108', 'moof@132+48', 'mdat@180+308'], null, 132],
    ['64-bit sizes', cat(box('ftyp', 16), box('moov', 50, { large: true }), box('moof', 10, { large: true }), box('mdat', 5)), ['ftyp@0+24', 'moov@24+66', 'moof@90+26', 'mdat@116+13'], null, 90],
    ['size 0 runs to the end', cat(box('ftyp', 8), box('moov', 8), box('moof', 8), box('mdat', 20, { sizeField: 0 })), ['ftyp@0+16', 'moov@16+16', 'moof@32+16', 'mdat@48+28'], null, 32],
    ['styp before moov is init too', cat(box('styp', 8), box('moov', 20), box('moof', 8)), ['styp@0+16', 'moov@16+28', 'moof@44+16'], null, 44],
    ['plain MP4: no moof', cat(box('ftyp', 16), box('moov', 100), box('mdat', 50)), ['ftyp@0+24', 'moov@24+108', 'mdat@132+58'], null, null],
    ['moof before any moov', cat(box('ftyp', 16), box('moof', 8), box('moov', 8)), ['ftyp@0+24', 'moof@24+16', 'moov@40+16'], null, null],
    ['cut inside moov', cat(box('ftyp', 16), box('moov', 100)).subarray(0, 60), ['ftyp@0+24', 'moov@24+108!'], 'truncated', null],
    ['cut inside the first moof: its header is enough', cat(box('ftyp', 16), box('moov', 10), box('moof', 100)).subarray(0, 50), ['ftyp@0+24', 'moov@24+18', 'moof@42+108!'], 'truncated', 42],
    ['cut inside a header', cat(box('ftyp', 16), box('moov', 10)).subarray(0, 28), ['ftyp@0+24'], 'partial_header', null],
    ['cut inside a 64-bit header', cat(box('ftyp', 16), box('moov', 10, { large: true })).subarray(0, 36), ['ftyp@0+24'], 'partial_header', null],
    ['size smaller than its header', cat(box('ftyp', 16), box('moov', 10, { sizeField: 4 })), ['ftyp@0+24'], 'bad_size', null],
    ['empty buffer', Buffer.alloc(0), [], null, null],
    ['not an MP4 at all', Buffer.from('hello, this is a text file and not a video'), ['o, t@0+1751477356!'], 'truncated', null],
  ])('%s', (_why, buf, expected, stoppedBy, init) => {
    const scan = scanTopLevelBoxes(buf);
    expect(scan.boxes.map((b) => `${b.type}@${b.offset}+${b.size}${b.truncated ? '!' : ''}`)).toEqual(expected);
    expect(scan.stoppedBy).toBe(stoppedBy);
    expect(initSegmentLength(buf)).toBe(init);
  });

  it('reports the header size', () => {
    const boxes = topLevelBoxes(cat(box('ftyp', 4), box('moov', 4, { large: true })));
    expect(boxes.map((b) => b.headerSize)).toEqual([8, 16]);
  });
});

describe('a real fragmented MP4 made by ffmpeg', () => {
  let dir: string;
  let buf: Buffer;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-mp4-'));
    const file = path.join(dir, 'out.mp4');
    execFileSync('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=s=320x240:r=25', '-t', '3',
      '-c:v', 'libx264', '-g', '25', '-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', file,
    ]);
    buf = readFileSync(file);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is ftyp, moov, then one moof+mdat pair per keyframe, covering every byte', () => {
    const scan = scanTopLevelBoxes(buf);
    expect(scan.stoppedBy).toBeNull();
    const types = scan.boxes.map((b) => b.type);
    expect(types.slice(0, 2)).toEqual(['ftyp', 'moov']);
    const pairs = types.slice(2).filter((t) => t !== 'mfra');
    expect(pairs).toEqual(Array.from({ length: pairs.length }, (_, i) => (i % 2 === 0 ? 'moof' : 'mdat')));
    expect(pairs.length / 2).toBe(3); // 3 s at one keyframe a second
    const last = scan.boxes.at(-1)!;
    expect(last.offset + last.size).toBe(buf.length);
  });

  it('finds the init part: ftyp + moov, ending where the first moof begins', () => {
    const [ftyp, moov, firstMoof] = topLevelBoxes(buf);
    const init = initSegmentLength(buf)!;
    expect(init).toBe(ftyp!.size + moov!.size);
    expect(init).toBe(firstMoof!.offset);
    expect(buf.toString('latin1', init + 4, init + 8)).toBe('moof');
  });

  it('finds it from the head of the file alone, and not from less than moov + a moof header', () => {
    const init = initSegmentLength(buf)!;
    expect(initSegmentLength(buf.subarray(0, init + 8))).toBe(init);
    expect(initSegmentLength(buf.subarray(0, init + 7))).toBeNull();
    expect(initSegmentLength(buf.subarray(0, init))).toBeNull();
    expect(initSegmentLength(buf.subarray(0, init - 1))).toBeNull();
  });
});
