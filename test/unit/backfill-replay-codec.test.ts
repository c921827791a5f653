import { describe, expect, it } from 'vitest';
import { replayVideoRefusal } from '../../recorder/backfill/replay-codec.ts';

describe('which replay video Vigil reads', () => {
  it.each([
    ['no video track', undefined, /replays no video/],
    ['H.264', { encoding: 'H264', fmtp: new Map([['packetization-mode', '1']]) }, null],
    ['H.265', { encoding: 'H265', fmtp: new Map([['sprop-vps', 'QAEM']]) }, null],
    ['H.265 with sprop-max-don-diff 0', { encoding: 'H265', fmtp: new Map([['sprop-max-don-diff', '0']]) }, null],
    ['H.265 with DONL fields', { encoding: 'H265', fmtp: new Map([['sprop-max-don-diff', '2']]) }, /decoding order numbers/],
    ['MJPEG', { encoding: 'JPEG', fmtp: new Map<string, string>() }, /replays JPEG; Vigil fetches H\.264 and H\.265/],
    ['no rtpmap', { encoding: '', fmtp: new Map<string, string>() }, /an unnamed codec/],
  ] as const)('%s', (_name, video, want) => {
    const got = replayVideoRefusal(video);
    if (want === null) expect(got).toBeNull();
    else expect(got).toMatch(want);
  });
});
