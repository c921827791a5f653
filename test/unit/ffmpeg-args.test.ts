import { describe, expect, it } from 'vitest';
import { audioPlanFor, buildRecordArgs, toArgv } from '../../recorder/ffmpeg-args.ts';
import { LineSplitter, parseSegmentListLine } from '../../recorder/segment-list.ts';
import { classifyExit } from '../../recorder/ffmpeg-failure.ts';

describe('audio plan', () => {
  it.each([
    ['pcm_alaw', 'auto', 'transcode_aac'],
    ['pcm_mulaw', 'auto', 'transcode_aac'],
    ['PCMA', 'auto', 'transcode_aac'],
    ['aac', 'auto', 'copy'],
    ['mpeg4-generic', 'auto', 'copy'],
    ['aac', 'off', 'none'],
    [null, 'auto', 'none'],
    ['opus', 'auto', 'transcode_aac'],
  ] as const)('%s with audio %s → %s', (codec, setting, want) => {
    expect(audioPlanFor(codec, setting)).toBe(want);
  });
});

describe('record arguments', () => {
  const base = { inputUrl: 'rtsp://u:p@127.0.0.1:8554/main', segmentMs: 10_000, socketTimeoutMs: 5_000, filePattern: '/spool/c/r1-%06d.mp4' };

  it.each([
    { audio: 'copy' as const, has: ['-map', '0:a:0?', '-c:a', 'copy'], lacks: ['-an'] },
    { audio: 'transcode_aac' as const, has: ['-c:a', 'aac', '-b:a', '32k'], lacks: ['-an'] },
    { audio: 'none' as const, has: ['-an'], lacks: ['0:a:0?'] },
  ])('audio $audio', ({ audio, has, lacks }) => {
    const argv = toArgv(buildRecordArgs({ ...base, audio }));
    const joined = argv.join(' ');
    expect(joined).toContain(has.join(' '));
    for (const l of lacks) expect(argv).not.toContain(l);
  });

  it('copies video over RTSP/TCP into fragmented MP4 segments listed on stdout', () => {
    const argv = toArgv(buildRecordArgs({ ...base, audio: 'none', segmentMs: 6_000 }));
    const after = (flag: string) => argv[argv.indexOf(flag) + 1];
    expect(after('-rtsp_transport')).toBe('tcp');
    expect(after('-timeout')).toBe('5000000');
    expect(after('-c:v')).toBe('copy');
    expect(after('-f')).toBe('segment');
    expect(after('-segment_time')).toBe('6');
    expect(after('-segment_format_options')).toBe('movflags=+frag_keyframe+empty_moov+default_base_moof:frag_duration=1000000:video_track_timescale=90000');
    expect(after('-segment_list')).toBe('pipe:1');
    expect(after('-i')).toBe(base.inputUrl);
    expect(argv.at(-1)).toBe('/spool/c/r1-%06d.mp4');
    expect(argv.indexOf('-rtsp_transport')).toBeLessThan(argv.indexOf('-i'));
  });

  it('refuses a file pattern without a number field', () => {
    expect(() => buildRecordArgs({ ...base, audio: 'none', filePattern: '/spool/x.mp4' })).toThrow(/%d/);
  });
});

describe('segment list lines', () => {
  it.each([
    ['r1-000000.mp4,0.000000,10.040000', { file: 'r1-000000.mp4', startSec: 0, endSec: 10.04 }],
    ['"a,b.mp4",1.5,2.5', { file: 'a,b.mp4', startSec: 1.5, endSec: 2.5 }],
    ['x.mp4,-0.080000,9.960000', { file: 'x.mp4', startSec: -0.08, endSec: 9.96 }],
    ['', null],
    ['garbage', null],
    ['x.mp4,5,4', null],
  ])('%j', (line, want) => {
    expect(parseSegmentListLine(line)).toEqual(want);
  });

  it('splits chunks into lines across boundaries', () => {
    const s = new LineSplitter();
    expect(s.push('a.mp4,0,1\nb.mp')).toEqual(['a.mp4,0,1']);
    expect(s.push('4,1,2\r\n')).toEqual(['b.mp4,1,2']);
    expect(s.flush()).toEqual([]);
  });
});

describe('ffmpeg exit classification', () => {
  it.each([
    [['[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized', 'rtsp://admin:hunter2@10.0.0.3/main: Server returned 401 Unauthorized (authorization failed)'], 'auth_failed'],
    [['rtsp://admin:hunter2@127.0.0.1:5554/main: Connection refused'], 'camera_unreachable'],
    [['rtsp://10.0.0.9/main: Connection timed out'], 'camera_unreachable'],
    [['[rtsp @ 0x2] method DESCRIBE failed: 404 Not Found'], 'stream_error'],
    [['some unknown failure'], 'stream_error'],
    [[], 'stream_error'],
  ] as const)('%j → %s', (lines, reason) => {
    const r = classifyExit(lines, { code: 1, signal: null });
    expect(r.reason).toBe(reason);
    expect(r.detail).not.toContain('hunter2');
    expect(r.detail.length).toBeGreaterThan(10);
  });
});
