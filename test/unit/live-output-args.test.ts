import { describe, expect, it } from 'vitest';
import { buildRecordArgs, toArgv } from '../../recorder/ffmpeg-args.ts';
import { buildLiveOutput, liveMovflags } from '../../recorder/live/live-output-args.ts';

describe('live output of the recording ffmpeg', () => {
  const live = buildLiveOutput({ socketPath: '/tmp/vigil-live-x/abc.sock', fragmentMs: 200, queuePackets: 100 });
  const after = (argv: string[], flag: string, from = 0) => argv[argv.indexOf(flag, from) + 1];

  it('copies the video only, through a dropping, recovering fifo, into fMP4 on the unix socket', () => {
    const o = live.options;
    expect(live.output).toBe('unix:/tmp/vigil-live-x/abc.sock');
    expect(after(o, '-map')).toBe('0:v:0');
    expect(after(o, '-c:v')).toBe('copy');
    expect(o).toContain('-an');
    expect(after(o, '-f')).toBe('fifo');
    expect(after(o, '-fifo_format')).toBe('mp4');
    expect(after(o, '-format_opts')).toBe('movflags=+empty_moov+default_base_moof+frag_keyframe:frag_duration=200000');
    expect(after(o, '-queue_size')).toBe('100');
    expect(after(o, '-drop_pkts_on_overflow')).toBe('1');
    expect(after(o, '-attempt_recovery')).toBe('1');
    expect(after(o, '-recover_any_error')).toBe('1');
    expect(after(o, '-restart_with_keyframe')).toBe('1');
  });

  it.each([
    [40, 'frag_duration=40000'],
    [200, 'frag_duration=200000'],
    [1000, 'frag_duration=1000000'],
  ])('fragment %i ms → %s', (ms, want) => {
    expect(liveMovflags(ms)).toContain(want);
  });

  it('comes after the recording output, which is unchanged', () => {
    const base = { inputUrl: 'rtsp://u:p@127.0.0.1:8554/main', segmentMs: 10_000, socketTimeoutMs: 5_000, audio: 'transcode_aac' as const, filePattern: '/spool/c/r1-%06d.mp4' };
    const plain = toArgv(buildRecordArgs(base));
    const withLive = toArgv(buildRecordArgs({ ...base, extraOutputs: [live] }));
    expect(withLive.slice(0, plain.length)).toEqual(plain);
    expect(withLive.slice(plain.length)).toEqual([...live.options, live.output]);
    expect(withLive.filter((a) => a === '-i')).toHaveLength(1); // one input: one camera session
  });

  it.each([
    [{ socketPath: 'relative.sock', fragmentMs: 200, queuePackets: 10 }, /absolute/],
    [{ socketPath: `/${'d'.repeat(120)}.sock`, fragmentMs: 200, queuePackets: 10 }, /107 bytes/],
    [{ socketPath: '/tmp/a.sock', fragmentMs: 0, queuePackets: 10 }, /fragmentMs/],
    [{ socketPath: '/tmp/a.sock', fragmentMs: 200, queuePackets: 0 }, /queuePackets/],
  ])('refuses %j', (input, err) => {
    expect(() => buildLiveOutput(input)).toThrow(err);
  });
});
