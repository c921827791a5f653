import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Kysely } from 'kysely';
import { openDatabase } from '../../src/db/database.ts';
import type { Database } from '../../src/db/schema.ts';
import { SegmentsRepo } from '../../src/db/segments-repo.ts';
import { GapsRepo } from '../../src/db/gaps-repo.ts';
import { FsObjectStore } from '../../src/store/fs-store.ts';
import { segmentKey } from '../../src/object-keys.ts';
import { initSegmentLength } from '../../src/mp4-boxes.ts';
import { prepareClip, type ClipDeps } from '../../src/clip/prepare-clip.ts';
import { SegmentFacts } from '../../src/fmp4/segment-facts.ts';

const run = promisify(execFile);

// Segments whose moov differs from one to the next, made by the real ffmpeg the way the
// recorder writes them (own moov, fragment at every keyframe and every second), indexed in a
// real SQLite database, stored in the fs store.
const T0 = Date.UTC(2026, 2, 3, 2, 40, 0);
const FRAG = ['-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-frag_duration', '1000000'];
const x264 = (size: string, inBand: boolean, extra: string[] = []) => ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`, '-t', '4', '-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '0', '-x264-params', `keyint=25:min-keyint=25:scenecut=0${inBand ? ':repeat-headers=1' : ''}`, ...extra];
const SEGMENTS = {
  small: x264('320x240', true),
  large: x264('640x360', true),
  portrait: x264('240x320', true), // the same moov length as 320x240: the SPS holds the same numbers, swapped
  smallNoPs: x264('320x240', false),
  largeNoPs: x264('640x360', false),
  fast: x264('320x240', true, ['-video_track_timescale', '90000']),
  hevc: ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '4', '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'keyint=25:min-keyint=25:scenecut=0:repeat-headers=1:log-level=error'],
} as const;
type Kind = keyof typeof SEGMENTS;

describe('clips over segments whose moov changes', () => {
  let dir: string;
  let db: Kysely<Database>;
  let deps: ClipDeps;
  let segments: SegmentsRepo;
  const files = {} as Record<Kind, Buffer>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-cliplayout-'));
    for (const [kind, args] of Object.entries(SEGMENTS) as Array<[Kind, readonly string[]]>) {
      const file = path.join(dir, `${kind}.mp4`);
      execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args, ...FRAG, '-y', file]);
      files[kind] = readFileSync(file);
    }
    db = await openDatabase({ driver: 'sqlite', sqlitePath: path.join(dir, 'index.db') });
    segments = new SegmentsRepo(db, () => Date.now());
    deps = { store: new FsObjectStore(path.join(dir, 'objects')), segments, gaps: new GapsRepo(db, () => Date.now()), workDir: dir };
  }, 60_000);
  afterAll(async () => {
    await db?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Stores the kinds as contiguous 4 s segments of a camera of their own. */
  const camera = async (id: string, kinds: Kind[]) => {
    for (const [i, kind] of kinds.entries()) {
      const data = files[kind];
      const startMs = T0 + i * 4_000;
      const objectKey = segmentKey(id, startMs, 4_000);
      await deps.store.put(objectKey, { data });
      await segments.insert({ cameraId: id, startMs, durationMs: 4_000, sizeBytes: data.length, sha256: createHash('sha256').update(data).digest('hex'), objectKey, initBytes: initSegmentLength(data)! });
    }
    return { cameraId: id, startMs: T0 + 1_000, endMs: T0 + kinds.length * 4_000 - 1_000 };
  };
  const frameSizes = async (buf: Buffer, name: string) => {
    const file = path.join(dir, `${name}.mp4`);
    writeFileSync(file, buf);
    const decode = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
    expect(decode.stderr.trim()).toBe('');
    const out = (await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=width,height', '-of', 'csv=p=0', file])).stdout.trim().split('\n');
    // ffprobe adds fields for frames with side data (SEI): keep width,height only.
    return [...new Set(out.map((l) => l.split(',').slice(0, 2).join(',')).filter((l) => /^\d+,\d+$/.test(l)))];
  };
  const whole = async (clip: Awaited<ReturnType<typeof prepareClip>>) => {
    const chunks: Buffer[] = [];
    for await (const c of clip.open()) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };

  it('new resolution with in-band parameter sets: one file by fragment copy, decoded at both sizes', async () => {
    const req = await camera('inband', ['small', 'large', 'small']);
    const clip = await prepareClip(deps, req);
    expect(clip.info.assembly).toBe('fragment_copy');
    const buf = await whole(clip);
    expect(buf.length).toBe(clip.sizeBytes);
    expect(await frameSizes(buf, 'inband')).toEqual(['320,240', '640,360']);
  });

  it('a segment that continues the one before with the same init length but another format: the stream stops, the next ask handles it', async () => {
    expect(initSegmentLength(files.portrait)).toBe(initSegmentLength(files.small));
    const req = await camera('samelen', ['small', 'portrait', 'small']);
    const facts = new SegmentFacts(deps.store);
    const first = await prepareClip({ ...deps, facts }, req);
    await expect(whole(first)).rejects.toMatchObject({ code: 'internal', message: expect.stringMatching(/continues the one before it but its format differs/) });
    const again = await prepareClip({ ...deps, facts }, req);
    expect(again.info.assembly).toBe('fragment_copy');
    expect(await frameSizes(await whole(again), 'samelen')).toEqual(['320,240', '240,320']);
  });

  it('new resolution with parameter sets only in the moov: refused, saying where to cut', async () => {
    const req = await camera('nops', ['smallNoPs', 'largeNoPs']);
    const err = await prepareClip(deps, req).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'invalid_range', details: { changeAtMs: T0 + 4_000 } });
    expect((err as Error).message).toMatch(/video settings change .* at 2026-03-03T02:40:04\.000Z/);
    expect((err as { hint: string }).hint).toBe('Cut two clips: 2026-03-03T02:40:01.000Z to 2026-03-03T02:40:04.000Z, and 2026-03-03T02:40:04.000Z to 2026-03-03T02:40:07.000Z.');
  });

  it('codec change: refused', async () => {
    const req = await camera('codec', ['small', 'hevc']);
    await expect(prepareClip(deps, req)).rejects.toMatchObject({ code: 'invalid_range', message: expect.stringMatching(/video codec changes from avc1 to hev1/) });
  });

  it('timescale change: ffmpeg concat with stream copy, one fragmented MP4 that decodes', async () => {
    const req = await camera('rate', ['small', 'fast']);
    const clip = await prepareClip(deps, req);
    expect(clip.info.assembly).toBe('ffmpeg_concat');
    const buf = await whole(clip);
    expect(buf.length).toBe(clip.sizeBytes);
    expect(buf.toString('latin1', 4, 8)).toBe('ftyp');
    expect(buf.includes(Buffer.from('moof'))).toBe(true);
    expect(await frameSizes(buf, 'rate')).toEqual(['320,240']);
    const dur = Number((await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path.join(dir, 'rate.mp4')])).stdout);
    expect(Math.abs(dur - (req.endMs - req.startMs) / 1000)).toBeLessThanOrEqual(2);
    const range = { start: 1000, end: 5000 };
    const part: Buffer[] = [];
    for await (const c of clip.open(range)) part.push(c as Buffer);
    expect(Buffer.concat(part).equals(buf.subarray(1000, 5001))).toBe(true);
    expect(readdirSync(dir).filter((f) => f.startsWith('vigil-clip-')).length).toBe(1);
    await clip.dispose?.();
    expect(readdirSync(dir).filter((f) => f.startsWith('vigil-clip-'))).toEqual([]);
  });
});
