import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseSegmentKey, segmentKey } from '../../src/object-keys.ts';
import { initSegmentLength, topLevelBoxes } from '../../src/mp4-boxes.ts';

describe('object keys', () => {
  it.each([
    ['ward-x-counter-3', Date.UTC(2026, 2, 3, 2, 40, 0), 10_040, 'ward-x-counter-3/2026/03/03/02/1772505600000-10040.mp4'],
    ['cam-1', Date.UTC(2026, 11, 31, 23, 59, 59, 999), 1, 'cam-1/2026/12/31/23/1798761599999-1.mp4'],
  ])('%s %i %i', (cam, start, dur, key) => {
    expect(segmentKey(cam, start, dur)).toBe(key);
    expect(parseSegmentKey(key)).toEqual({ cameraId: cam, startMs: start, durationMs: dur });
  });

  it.each([
    'cam-1/2026/03/03/03/1772505600000-10040.mp4', // hour does not match startMs
    'cam-1/2026/03/03/02/1772505600000-0.mp4',
    'Cam-1/2026/03/03/02/1772505600000-10.mp4',
    '../etc/2026/03/03/02/1772505600000-10.mp4',
    'cam-1/2026/03/03/02/1772505600000-10.mp4.tmp',
    'cam-1/notes.txt',
  ])('rejects %s', (key) => {
    expect(parseSegmentKey(key)).toBeNull();
  });

  it('refuses ids and timings that cannot make a key', () => {
    expect(() => segmentKey('../x', 0, 1)).toThrow();
    expect(() => segmentKey('cam', 1.5, 1)).toThrow();
  });
});

describe('mp4 boxes', () => {
  it('finds the init part of a real fragmented MP4 made by ffmpeg', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-mp4-'));
    const file = path.join(dir, 'f.mp4');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=s=320x240:r=25', '-t', '3', '-c:v', 'libx264', '-g', '25', '-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', file]);
    const buf = readFileSync(file);
    const types = topLevelBoxes(buf).map((b) => b.type);
    expect(types.slice(0, 2)).toEqual(['ftyp', 'moov']);
    expect(types.filter((t) => t === 'moof').length).toBeGreaterThanOrEqual(3);
    const init = initSegmentLength(buf)!;
    expect(buf.toString('latin1', init + 4, init + 8)).toBe('moof');
    expect(initSegmentLength(buf.subarray(0, init))).toBeNull();
  });
});
