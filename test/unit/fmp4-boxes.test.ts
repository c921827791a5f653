import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseInit, type InitInfo } from '../../src/fmp4/init-info.ts';
import { listFragments } from '../../src/fmp4/fragments.ts';
import { parseMoof, isSyncSample } from '../../src/fmp4/moof-info.ts';
import { patchMoof } from '../../src/fmp4/moof-rewrite.ts';
import { rewriteFragments } from '../../src/fmp4/fragment-stream.ts';
import { mfraSizeFromTail, parseMfra } from '../../src/fmp4/mfra.ts';
import { codecFamily, sampleHasParameterSets } from '../../src/fmp4/parameter-sets.ts';
import { readFirstVideoSampleHead, readFragmentMap, readMediaTiming } from '../../src/fmp4/segment-reader.ts';
import { timingOfFragments } from '../../src/fmp4/track-timing.ts';
import { FsObjectStore } from '../../src/store/fs-store.ts';
import { isVigilError } from '../../src/errors.ts';

// Small fragmented MP4s made by the real ffmpeg, like the recorder's (fragment at every
// keyframe and every 0.5 s, so some fragments start on a non-keyframe).
const FRAG = ['-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-frag_duration', '500000'];
const SRC = ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25'];
const AUDIO = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000'];
const X264 = (bframes: number, inBand: boolean) => ['-c:v', 'libx264', '-preset', 'ultrafast', '-bf', String(bframes), '-x264-params', `keyint=25:min-keyint=25:scenecut=0${inBand ? ':repeat-headers=1' : ''}`];
const FILES = {
  plain: [...SRC, ...AUDIO, '-t', '4', ...X264(0, false), '-c:a', 'aac', '-b:a', '32k'],
  bframes: [...SRC, ...AUDIO, '-t', '4', ...X264(2, false), '-c:a', 'aac', '-b:a', '32k'],
  inband: [...SRC, '-t', '2', ...X264(0, true)],
  hevc: [...SRC, '-t', '2', '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'keyint=25:min-keyint=25:scenecut=0:repeat-headers=1:log-level=error'],
} as const;
type Name = keyof typeof FILES;

let dir: string;
const bufs = {} as Record<Name, Buffer>;
const inits = {} as Record<Name, InitInfo>;

function probePackets(file: string): Array<{ pos: number; key: boolean; size: number }> {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pos,size,flags', '-of', 'csv=p=0', file]).toString();
  return out.trim().split('\n').map((l) => {
    const [size, pos, flags] = l.split(',');
    return { size: Number(size), pos: Number(pos), key: (flags ?? '').includes('K') };
  });
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-fmp4-'));
  for (const [name, args] of Object.entries(FILES) as Array<[Name, readonly string[]]>) {
    const file = path.join(dir, `${name}.mp4`);
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args, ...FRAG, '-y', file]);
    bufs[name] = readFileSync(file);
    inits[name] = parseInit(bufs[name]);
  }
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('init part (ftyp + moov) of real ffmpeg output', () => {
  it.each([
    ['plain', [['vide', 'avc1', 12800, 320, 240], ['soun', 'mp4a', 16000, undefined, undefined]]],
    ['bframes', [['vide', 'avc1', 12800, 320, 240], ['soun', 'mp4a', 16000, undefined, undefined]]],
    ['inband', [['vide', 'avc1', 12800, 320, 240]]],
    ['hevc', [['vide', 'hev1', 12800, 320, 240]]],
  ] as const)('%s: tracks, handlers, codecs, timescales', (name, tracks) => {
    const init = inits[name];
    expect(init.tracks.map((t) => [t.handler, t.codec, t.timescale, t.width, t.height])).toEqual(tracks);
    expect(init.tracks.map((t) => t.trackId)).toEqual(tracks.map((_, i) => i + 1));
    expect(init.tracks[0]!.nalLengthSize).toBe(4);
    expect(init.initBytes).toBe(listFragments(bufs[name], init).fragments[0]!.startOffset);
  });

  it('layout fingerprint joins same tracks/codecs/timescales; config fingerprint also sees the sample entries', () => {
    expect(inits.plain.layoutFingerprint).toBe(inits.bframes.layoutFingerprint);
    expect(inits.plain.configFingerprint).not.toBe(inits.bframes.configFingerprint); // another avcC
    expect(inits.plain.layoutFingerprint).not.toBe(inits.inband.layoutFingerprint); // no audio track
    expect(inits.inband.layoutFingerprint).not.toBe(inits.hevc.layoutFingerprint); // codec
    expect(parseInit(Buffer.from(bufs.plain)).configFingerprint).toBe(inits.plain.configFingerprint);
  });
});

describe('fragments of real ffmpeg output', () => {
  it.each(['plain', 'bframes', 'inband', 'hevc'] as const)('%s: every video sample, keyframes where ffprobe sees them', (name) => {
    const file = path.join(dir, `${name}.mp4`);
    const { fragments, endOffset } = listFragments(bufs[name], inits[name]);
    const packets = probePackets(file);
    const video = inits[name].tracks[0]!;
    const videoFrags = fragments.map((f) => f.tracks.find((t) => t.trackId === video.trackId)).filter((t) => t !== undefined);
    expect(videoFrags.reduce((n, t) => n + t.sampleCount, 0)).toBe(packets.length);
    // Decode time runs on from fragment to fragment, and sums to the frames at 25 fps.
    for (let i = 1; i < videoFrags.length; i++) expect(videoFrags[i]!.decodeTimeTicks).toBe(videoFrags[i - 1]!.decodeTimeTicks + videoFrags[i - 1]!.durationTicks);
    // Every sample lasts one frame at 25 fps; ffmpeg stretches the first (to meet the AAC
    // priming delay) and guesses the last at the end of the stream.
    const durations = fragments.flatMap((f) => f.moof.trafs.filter((t) => t.trackId === video.trackId).flatMap((t) => t.truns.flatMap((r) => r.samples.map((s) => s.durationTicks))));
    expect(new Set(durations.slice(1, -1))).toEqual(new Set([video.timescale / 25]));
    // A fragment starts with a keyframe exactly when ffprobe's keyframe packet is its first video sample.
    const keyPositions = packets.filter((p) => p.key).map((p) => p.pos);
    const keyFrags = fragments.filter((f) => f.startsWithKeyframe);
    expect(keyFrags.length).toBe(keyPositions.length);
    for (const pos of keyPositions) {
      const f = fragments.find((x) => pos >= x.startOffset && pos < x.endOffset)!;
      expect(f.startsWithKeyframe).toBe(true);
    }
    expect(fragments.some((f) => !f.startsWithKeyframe)).toBe(true); // 0.5 s fragments inside 1 s GOPs
    expect(endOffset).toBe(bufs[name].length - mfraSizeFromTail(bufs[name])!);
  });

  it('B-frames: composition offsets are read; without B-frames they are zero', () => {
    const offsets = (name: Name) => {
      const f = listFragments(bufs[name], inits[name]).fragments[1]!;
      const traf = f.moof.trafs.find((t) => t.trackId === 1)!;
      return traf.truns.flatMap((r) => r.samples.map((s) => s.compositionOffsetTicks));
    };
    expect(offsets('bframes').some((o) => o > 0)).toBe(true);
    expect(offsets('plain').every((o) => o === 0)).toBe(true);
  });

  it('the mfra lists every fragment (the probe relies on it)', () => {
    for (const name of Object.keys(FILES) as Name[]) {
      const b = bufs[name];
      const size = mfraSizeFromTail(b)!;
      const entries = parseMfra(b.subarray(b.length - size))!;
      const offsets = [...new Set(entries.map((e) => e.moofOffset))].sort((x, y) => x - y);
      expect(offsets).toEqual(listFragments(b, inits[name]).fragments.map((f) => f.startOffset));
    }
  });
});

describe('tfdt and mfhd rewrite', () => {
  it('patches in place, same size, and ffprobe sees the new decode times', () => {
    const b = Buffer.from(bufs.plain);
    const { fragments } = listFragments(b, inits.plain);
    const shiftSec = 1000;
    fragments.forEach((f, i) => {
      const moof = parseMoof(b, { type: 'moof', offset: f.startOffset, size: f.moof.size, headerSize: 8, truncated: false });
      const decodeTimes = new Map(moof.trafs.map((t) => [t.trackId, t.decodeTime!.value + shiftSec * inits.plain.tracks.find((x) => x.trackId === t.trackId)!.timescale]));
      patchMoof(b, moof, { sequenceNumber: 500 + i, decodeTimes });
    });
    expect(b.length).toBe(bufs.plain.length);
    const again = listFragments(b, inits.plain).fragments;
    expect(again.map((f) => f.moof.sequenceNumber)).toEqual(fragments.map((_, i) => 500 + i));
    expect(again.map((f) => f.tracks[0]!.decodeTimeTicks)).toEqual(fragments.map((f) => f.tracks[0]!.decodeTimeTicks + shiftSec * 12800));
    const file = path.join(dir, 'shifted.mp4');
    writeFileSync(file, b);
    const start = Number(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=dts_time', '-of', 'csv=p=0', '-read_intervals', '%+#1', file]).toString().trim());
    expect(start).toBeCloseTo(shiftSec, 3);
  });

  it.each([
    ['v0 value that fits', 0, 0xffff_ffff, null],
    ['v0 value past 32 bits', 0, 0x1_0000_0000, /32 bits/],
    ['v1 value past 32 bits', 1, 0x1_0000_0000, null],
    ['negative value', 1, -1, /negative/],
  ] as const)('%s', (_why, version, value, error) => {
    const moofBuf = syntheticMoof(version);
    const moof = parseMoof(moofBuf, { type: 'moof', offset: 0, size: moofBuf.length, headerSize: 8, truncated: false });
    const run = () => patchMoof(moofBuf, moof, { decodeTimes: new Map([[1, value]]) });
    if (error) {
      expect(run).toThrow(error);
      try { run(); } catch (e) { expect(isVigilError(e)).toBe(true); }
    } else {
      run();
      expect(parseMoof(moofBuf, { type: 'moof', offset: 0, size: moofBuf.length, headerSize: 8, truncated: false }).trafs[0]!.decodeTime!.value).toBe(value);
    }
  });

  it.each([1, 7, 333, 65_536])('streamed rewrite in %i-byte chunks equals the in-place rewrite, mfra becomes free', async (chunkBytes) => {
    const src = bufs.bframes;
    const init = inits.bframes;
    const patch = (seq: number, moofTimes: Map<number, number>) => ({ sequenceNumber: seq, decodeTimes: new Map([...moofTimes].map(([id, v]) => [id, v + 777])) });
    const expected = Buffer.from(src);
    listFragments(expected, init).fragments.forEach((f, i) => {
      const moof = parseMoof(expected, { type: 'moof', offset: f.startOffset, size: f.moof.size, headerSize: 8, truncated: false });
      patchMoof(expected, moof, patch(i + 1, new Map(moof.trafs.map((t) => [t.trackId, t.decodeTime!.value]))));
    });
    const mfraAt = src.length - mfraSizeFromTail(src)!;
    expected.write('free', mfraAt + 4, 'latin1');
    const body = src.subarray(init.initBytes);
    const chunks = Array.from({ length: Math.ceil(body.length / chunkBytes) }, (_, i) => body.subarray(i * chunkBytes, (i + 1) * chunkBytes));
    let seq = 0;
    const out: Buffer[] = [];
    for await (const c of rewriteFragments(Readable.from(chunks), { trex: new Map(), onMoof: (m) => patch(++seq, new Map(m.trafs.map((t) => [t.trackId, t.decodeTime!.value]))) })) out.push(c);
    expect(Buffer.concat([src.subarray(0, init.initBytes), ...out]).equals(expected)).toBe(true);
  });
});

describe('reading stored segments with small reads', () => {
  it.each(['plain', 'bframes', 'hevc'] as const)('%s: fragment map and timing from the mfra equal a full parse, and without mfra too', async (name) => {
    const store = new FsObjectStore(path.join(dir, 'store'));
    const whole = bufs[name];
    const noMfra = whole.subarray(0, whole.length - mfraSizeFromTail(whole)!);
    for (const [key, b] of [[`cam/${name}.mp4`, whole], [`cam/${name}-nomfra.mp4`, noMfra]] as const) {
      await store.put(key, { data: b });
      const seg = { objectKey: key, sizeBytes: b.length, initBytes: inits[name].initBytes };
      const full = listFragments(b, inits[name]);
      const map = await readFragmentMap(store, seg, inits[name]);
      expect(map.fragments.map((f) => [f.startOffset, f.endOffset, f.startsWithKeyframe, f.tracks])).toEqual(full.fragments.map((f) => [f.startOffset, f.endOffset, f.startsWithKeyframe, f.tracks]));
      expect(map.endOffset).toBe(full.endOffset);
      expect(await readMediaTiming(store, seg, inits[name])).toEqual(timingOfFragments(inits[name], full.fragments));
    }
  });

  it.each([
    ['inband', true],
    ['hevc', true],
    ['plain', false],
  ] as const)('%s: first keyframe carries parameter sets in-band: %s', async (name, want) => {
    const store = new FsObjectStore(path.join(dir, 'store'));
    await store.put(`ps/${name}.mp4`, { data: bufs[name] });
    const init = inits[name];
    const head = await readFirstVideoSampleHead(store, { objectKey: `ps/${name}.mp4`, sizeBytes: bufs[name].length, initBytes: init.initBytes }, init);
    const first = listFragments(bufs[name], init).fragments[0]!.moof.trafs[0]!.truns[0]!.samples[0]!;
    expect(isSyncSample(first.flags)).toBe(true);
    expect(sampleHasParameterSets(head!, codecFamily(init.tracks[0]!.codec), init.tracks[0]!.nalLengthSize!)).toBe(want);
  });
});

/** moof > mfhd + traf > (tfhd, tfdt vN, trun with one sample) */
function syntheticMoof(tfdtVersion: 0 | 1): Buffer {
  const box = (type: string, body: Buffer) => {
    const h = Buffer.alloc(8);
    h.writeUInt32BE(8 + body.length, 0);
    h.write(type, 4, 'latin1');
    return Buffer.concat([h, body]);
  };
  const full = (v: number, flags: number, body: Buffer) => {
    const h = Buffer.alloc(4);
    h.writeUInt8(v, 0);
    h.writeUIntBE(flags, 1, 3);
    return Buffer.concat([h, body]);
  };
  const u32 = (...v: number[]) => Buffer.concat(v.map((x) => { const b = Buffer.alloc(4); b.writeUInt32BE(x); return b; }));
  const tfdtBody = tfdtVersion === 1 ? Buffer.alloc(8) : Buffer.alloc(4);
  return box('moof', Buffer.concat([
    box('mfhd', full(0, 0, u32(1))),
    box('traf', Buffer.concat([
      box('tfhd', full(0, 0x020008, u32(1, 512))),
      box('tfdt', full(tfdtVersion, 0, tfdtBody)),
      box('trun', full(0, 0x000200, u32(1, 100))),
    ])),
  ]));
}
