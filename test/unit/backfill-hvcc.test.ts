import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseH265Sps } from '../../recorder/backfill/h265-sps.ts';
import { hvcC } from '../../recorder/backfill/hvcc.ts';
import { buildInit } from '../../recorder/backfill/fmp4-writer.ts';
import { parseInit } from '../../src/fmp4/init-info.ts';

const run = promisify(execFile);

/** ffmpeg's own hvcC (body) of a libx265 encode, and the VPS/SPS/PPS in its arrays. */
async function encode(dir: string, name: string, size: string, pixFmt: string, x265: string): Promise<{ body: Buffer; vps: Buffer; sps: Buffer; pps: Buffer }> {
  const mp4 = join(dir, `${name}.mp4`);
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=25`, '-t', '0.4', '-c:v', 'libx265', '-pix_fmt', pixFmt, '-x265-params', `log-level=error${x265}`, '-tag:v', 'hev1', mp4]);
  const f = await readFile(mp4);
  const at = f.indexOf('hvcC', 0, 'latin1');
  const body = f.subarray(at + 4, at - 4 + f.readUInt32BE(at - 4));
  const sets: Buffer[] = [];
  let o = 23;
  for (let a = 0; a < body[22]!; a++) {
    const n = body.readUInt16BE(o + 1);
    o += 3;
    for (let k = 0; k < n; k++) {
      const len = body.readUInt16BE(o);
      sets.push(Buffer.from(body.subarray(o + 2, o + 2 + len)));
      o += 2 + len;
    }
  }
  const byType = (t: number) => sets.find((s) => ((s[0]! >> 1) & 0x3f) === t)!;
  return { body: Buffer.from(body), vps: byType(32), sps: byType(33), pps: byType(34) };
}

describe('H.265 SPS facts and hvcC, against ffmpeg over libx265', () => {
  let dir: string;
  const cases = [
    // [name, size, pixel format, x265 params, width, height, bit depth, chroma format, sub-layers]
    ['Main 320x240', '320x240', 'yuv420p', '', 320, 240, 8, 1, 1],
    ['Main 1920x1080 (conformance window crops 1088)', '1920x1080', 'yuv420p', '', 1920, 1080, 8, 1, 1],
    ['Main 10', '640x360', 'yuv420p10le', '', 640, 360, 10, 1, 1],
    ['Main 4:2:2 10 (RExt profile)', '352x288', 'yuv422p10le', '', 352, 288, 10, 2, 1],
    ['two temporal sub-layers', '320x240', 'yuv420p', ':temporal-layers=1', 320, 240, 8, 1, 2],
  ] as const;
  const made = new Map<string, Awaited<ReturnType<typeof encode>>>();
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-hvcc-'));
    for (const [name, size, pix, x265] of cases) made.set(name, await encode(dir, name.replace(/\W+/g, '-'), size, pix, x265));
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each(cases)('%s', (name, _size, _pix, _x265, width, height, depth, chroma, subLayers) => {
    const m = made.get(name)!;
    const info = parseH265Sps(m.sps);
    expect(info).toMatchObject({ width, height, bitDepthLuma: depth, bitDepthChroma: depth, chromaFormatIdc: chroma, maxSubLayers: subLayers });
    // The record Vigil writes is byte for byte the one ffmpeg writes for a hev1 track, but for
    // the SEI array libx265's own header adds (a camera's stream has VPS, SPS and PPS only).
    const ours = hvcC({ codec: 'h265', vps: m.vps, sps: m.sps, pps: m.pps }).subarray(8);
    const theirs = Buffer.from(m.body.subarray(0, ours.length));
    theirs[22] = 3;
    expect(m.body[22]).toBe(4);
    expect(ours.toString('hex')).toBe(theirs.toString('hex'));
  });

  it('a backfill init for H.265: hev1 at 90 kHz with the picture size', () => {
    const m = made.get('Main 1920x1080 (conformance window crops 1088)')!;
    const init = parseInit(buildInit({ codec: 'h265', vps: m.vps, sps: m.sps, pps: m.pps }));
    expect(init.tracks.map((t) => [t.handler, t.codec, t.timescale])).toEqual([['vide', 'hev1', 90_000]]);
  });

  it('an SPS cut short is a RangeError, not a wrong size', () => {
    const m = made.get('Main 320x240')!;
    expect(() => parseH265Sps(m.sps.subarray(0, 12))).toThrow(RangeError);
    expect(() => parseH265Sps(m.sps.subarray(0, 17))).toThrow(RangeError);
  });
});
