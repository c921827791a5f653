import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAdts } from '../../recorder/backfill/aac-config.ts';
import { splitAnnexB, writeFmp4Segment, type WriterSample } from '../../recorder/backfill/fmp4-writer.ts';
import { encodeG711ToAac } from '../../recorder/backfill/g711-to-aac.ts';
import { encodedAacForSpan } from '../../recorder/backfill/segment-audio.ts';
import { initSegmentLength } from '../../src/mp4-boxes.ts';
import { VigilError } from '../../src/errors.ts';

const run = promisify(execFile);

/** 2 s of 25 fps H.264 (GOP 1 s) from ffmpeg as writer samples. */
async function video(dir: string): Promise<{ samples: WriterSample[]; sps: Buffer; pps: Buffer }> {
  const file = join(dir, 'v.h264');
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-t', '2', '-c:v', 'libx264', '-bf', '0', '-pix_fmt', 'yuv420p', '-g', '25', '-sc_threshold', '0', '-f', 'h264', file]);
  const nals = splitAnnexB(await readFile(file));
  const sps = nals.find((n) => (n[0]! & 0x1f) === 7)!;
  const pps = nals.find((n) => (n[0]! & 0x1f) === 8)!;
  const samples: WriterSample[] = [];
  let cur: Buffer[] = [];
  for (const n of nals) {
    const t = n[0]! & 0x1f;
    if (t === 1 || t === 5) {
      cur.push(n);
      samples.push({ data: { nalUnits: cur }, keyframe: t === 5, ptsTicks: samples.length * 3600 });
      cur = [];
    } else if (t !== 7 && t !== 8) cur.push(n);
  }
  return { samples, sps, pps };
}

async function streams(file: string): Promise<Array<{ codec_name: string; sample_rate?: string; channels?: number; start_time: string; duration: string }>> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,sample_rate,channels,start_time,duration', '-of', 'json', file]);
  return (JSON.parse(stdout) as { streams: Array<{ codec_name: string; start_time: string; duration: string }> }).streams;
}

describe('segment writer: an AAC track beside the video', () => {
  let dir: string;
  let v: Awaited<ReturnType<typeof video>>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-fmp4a-'));
    v = await video(dir);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it.each([
    { name: 'AAC copied (16 kHz mono ADTS from ffmpeg)', rate: 16_000, firstTicks: 0, shape: 'copy' },
    { name: 'AAC copied starting 32 ms in (half a frame)', rate: 16_000, firstTicks: 512, shape: 'copy' },
    { name: 'G.711 encoded to AAC (8 kHz, the live settings)', rate: 8_000, firstTicks: 0, shape: 'g711' },
  ])('$name: h264 + aac, durations, decodes cleanly', async ({ rate, firstTicks, shape }) => {
    let audio;
    if (shape === 'copy') {
      const adts = join(dir, 'a.aac');
      await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `sine=f=440:r=${rate}:d=3`, '-c:a', 'aac', '-b:a', '32k', '-ac', '1', '-f', 'adts', adts]);
      const { config, frames } = parseAdts(await readFile(adts));
      const n = Math.ceil((2 * rate - firstTicks) / 1024);
      audio = { config: { asc: config!.asc, sampleRate: config!.sampleRate, channels: config!.channels }, firstTicks, samples: frames.slice(1, 1 + n).map((data) => ({ data, durationTicks: 1024 })) };
    } else {
      const alaw = join(dir, 'a.alaw');
      await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=f=440:r=8000:d=2', '-c:a', 'pcm_alaw', '-f', 'alaw', alaw]);
      const enc = await encodeG711ToAac(await readFile(alaw), { encoding: 'PCMA', sampleRate: 8_000, ffmpegPath: 'ffmpeg' });
      audio = encodedAacForSpan(enc.frames, { startMs: 0, durationMs: 2_000 }, { asc: enc.config.asc, sampleRate: enc.config.sampleRate, channels: enc.config.channels })!;
      expect(enc.config.asc.toString('hex')).toBe('1588');
    }
    const bytes = writeFmp4Segment({ sps: v.sps, pps: v.pps }, v.samples, { frameIntervalTicks: 3600, audio });
    expect(initSegmentLength(bytes)).toBeGreaterThan(0);
    const file = join(dir, `seg-${rate}-${firstTicks}.mp4`);
    await writeFile(file, bytes);
    const s = await streams(file);
    expect(s.map((x) => x.codec_name)).toEqual(['h264', 'aac']);
    expect(s[1]).toMatchObject({ sample_rate: String(rate), channels: 1 });
    expect(Number(s[0]!.duration)).toBeCloseTo(2, 3);
    expect(Number(s[1]!.start_time)).toBeCloseTo(firstTicks / rate, 3);
    expect(Math.abs(Number(s[1]!.start_time) + Number(s[1]!.duration) - 2)).toBeLessThanOrEqual(1024 / rate);
    const decode = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
    expect(decode.stderr).toBe('');
  });

  it('without audio the segment stays video-only', async () => {
    const file = join(dir, 'video-only.mp4');
    await writeFile(file, writeFmp4Segment({ sps: v.sps, pps: v.pps }, v.samples));
    expect((await streams(file)).map((x) => x.codec_name)).toEqual(['h264']);
  });

  it('an ffmpeg that cannot run: a VigilError in plain words', async () => {
    const e = await encodeG711ToAac(Buffer.alloc(800, 0xd5), { encoding: 'PCMA', sampleRate: 8_000, ffmpegPath: join(dir, 'no-ffmpeg') }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(VigilError);
    expect((e as Error).message).toMatch(/ffmpeg could not turn the camera's G.711 audio into AAC/);
  });
});
