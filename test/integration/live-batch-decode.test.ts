import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeFirstFrames } from '../../recorder/live/batch-decode.ts';
import { Fmp4Splitter } from '../../recorder/live/fmp4-splitter.ts';

/** Snapshot decodes of several cameras in one ffmpeg run, with the real ffmpeg. */
function keyframePiece(size: string, frames: string): Buffer {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-live-bd-'));
  const file = path.join(dir, 'k.mp4');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`, '-frames:v', frames, '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-f', 'mp4', '-movflags', '+empty_moov+default_base_moof+frag_keyframe', '-frag_duration', '40000', file]);
  const { pieces } = new Fmp4Splitter().push(readFileSync(file));
  rmSync(dir, { recursive: true, force: true });
  return Buffer.concat([pieces[0]!.bytes, pieces[1]!.bytes]); // init + the keyframe fragment
}

describe('batch keyframe decode', () => {
  it('decodes each piece of a batch to its own frame; a bad piece fails alone', async () => {
    const a = keyframePiece('320x180', '2');
    const b = keyframePiece('640x360', '2');
    const bad = Buffer.concat([a.subarray(0, 200), Buffer.alloc(500, 7)]);
    const good = await decodeFirstFrames([{ mp4: a }, { mp4: b }]);
    expect(good.map((f) => (f instanceof Error ? 'error' : `${f.widthPx}x${f.heightPx}`))).toEqual(['320x180', '640x360']);
    const frames = await decodeFirstFrames([{ mp4: a }, { mp4: b, maxWidthPx: 320 }, { mp4: bad }, { mp4: a, maxWidthPx: 640 }]);
    // 640x360 scaled to at most 320 wide; 320x180 is never scaled up.
    expect(frames.map((f) => (f instanceof Error ? 'error' : `${f.widthPx}x${f.heightPx}:${f.rgb.length}`))).toEqual(['320x180:172800', '320x180:172800', 'error', '320x180:172800']);
    expect(frames[0]).not.toBeInstanceOf(Error);
    expect((frames[0] as { rgb: Buffer }).rgb.equals((frames[3] as { rgb: Buffer }).rgb)).toBe(true);
  });
});
