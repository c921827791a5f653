import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildInit, splitAnnexB, writeFmp4Segment, type WriterSample } from '../../recorder/backfill/fmp4-writer.ts';
import { parseH264Sps } from '../../recorder/backfill/h264-sps.ts';
import { BACKFILL_BRAND, compatibleBrands } from '../../src/fmp4/source-brand.ts';
import { initSegmentLength, topLevelBoxes } from '../../src/mp4-boxes.ts';

const run = promisify(execFile);

/** Real H.264 from ffmpeg: samples (length-prefixed, decode order, pts in 90 kHz) + SPS/PPS. */
interface Source {
  samples: WriterSample[];
  sps: Buffer;
  pps: Buffer;
}

async function encode(dir: string, name: string, x264: string[]): Promise<Source> {
  const mp4 = join(dir, `${name}.mp4`);
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-t', '3', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0', ...x264, '-video_track_timescale', '90000', mp4]);
  const annexB = join(dir, `${name}.h264`);
  await run('ffmpeg', ['-v', 'error', '-y', '-i', mp4, '-c', 'copy', '-bsf:v', 'h264_mp4toannexb', '-frames:v', '1', '-f', 'h264', annexB]);
  const nals = splitAnnexB(await readFile(annexB));
  const sps = nals.find((n) => (n[0]! & 0x1f) === 7)!;
  const pps = nals.find((n) => (n[0]! & 0x1f) === 8)!;
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts,dts,pos,size,flags', '-of', 'json', mp4]);
  const file = await readFile(mp4);
  const packets = (JSON.parse(stdout) as { packets: Array<{ pts: number; pos: string; size: string; flags: string }> }).packets;
  const samples = packets.map((p) => ({
    data: { lengthPrefixed: file.subarray(Number(p.pos), Number(p.pos) + Number(p.size)) },
    keyframe: p.flags.startsWith('K'),
    ptsTicks: 1_000_000_000 + Number(p.pts), // any origin: the writer starts the segment at 0
  }));
  return { samples, sps, pps };
}

async function probeFrames(file: string): Promise<{ codec: string; width: number; height: number; pts: number[] }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height:packet=pts', '-of', 'json', file]);
  const j = JSON.parse(stdout) as { streams: Array<{ codec_name: string; width: number; height: number }>; packets: Array<{ pts: number }> };
  return { codec: j.streams[0]!.codec_name, width: j.streams[0]!.width, height: j.streams[0]!.height, pts: j.packets.map((p) => p.pts).sort((a, b) => a - b) };
}

describe('fMP4 writer over real ffmpeg-made H.264', () => {
  let dir: string;
  const sources: Record<string, Source> = {};
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-fmp4w-'));
    sources.plain = await encode(dir, 'plain', ['-bf', '0']);
    sources.bframes = await encode(dir, 'bframes', ['-bf', '2']);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the size from the SPS', () => {
    expect(parseH264Sps(sources.plain!.sps)).toMatchObject({ width: 320, height: 240 });
  });

  it('splits Annex-B with 3- and 4-byte start codes', () => {
    const b = Buffer.from([0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 1, 0x65, 4, 5, 0]);
    expect(splitAnnexB(b).map((n) => [...n])).toEqual([[0x67, 1, 2], [0x68, 3], [0x65, 4, 5]]);
  });

  for (const kind of ['plain', 'bframes'] as const) {
    it(`${kind}: plays in ffprobe with every frame at its time and decodes cleanly`, async () => {
      const src = sources[kind]!;
      const bytes = writeFmp4Segment({ sps: src.sps, pps: src.pps }, src.samples);
      const file = join(dir, `${kind}-out.mp4`);
      await writeFile(file, bytes);
      const probe = await probeFrames(file);
      expect(probe).toMatchObject({ codec: 'h264', width: 320, height: 240 });
      expect(probe.pts.length).toBe(src.samples.length);
      const origin = Math.min(...src.samples.map((s) => s.ptsTicks));
      // ffmpeg's mp4 demuxer shifts a track with negative composition offsets (B-frames, trun
      // v1) by the largest one, so compare times relative to the first frame; the plain stream
      // must start at exactly 0.
      const rel = probe.pts.map((p) => p - probe.pts[0]!);
      expect(rel).toEqual(src.samples.map((s) => s.ptsTicks - origin).sort((a, b) => a - b));
      if (kind === 'plain') expect(probe.pts[0]).toBe(0);
      const decode = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
      expect(decode.stderr).toBe('');
      // Shaped like live segments: ftyp, moov, then moof+mdat pairs, a fragment every second.
      const types = topLevelBoxes(bytes).map((b) => b.type);
      expect(types.slice(0, 2)).toEqual(['ftyp', 'moov']);
      expect(types.slice(2)).toEqual(['moof', 'mdat', 'moof', 'mdat', 'moof', 'mdat']);
      expect(initSegmentLength(bytes)).toBe(buildInit({ sps: src.sps, pps: src.pps }).length);
      // Marked as recovered in itself (what `vigil reindex` reads), which players ignore.
      expect(compatibleBrands(bytes)).toEqual(['iso5', 'iso6', 'mp41', BACKFILL_BRAND]);
    });
  }

  it('keeps uneven frame intervals exactly (durations from the frame times)', async () => {
    const src = sources.plain!;
    const samples = src.samples.slice(0, 30).map((s, i) => ({ ...s, ptsTicks: i * 3600 + (i >= 10 ? 1800 : 0) }));
    const file = join(dir, 'uneven.mp4');
    await writeFile(file, writeFmp4Segment({ sps: src.sps, pps: src.pps }, samples));
    expect((await probeFrames(file)).pts).toEqual(samples.map((s) => s.ptsTicks));
  });

  it('refuses a segment that does not start at a keyframe', () => {
    const src = sources.plain!;
    expect(() => writeFmp4Segment({ sps: src.sps, pps: src.pps }, src.samples.slice(1, 5))).toThrow(/keyframe/);
  });
});
