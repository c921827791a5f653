import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../src/clock.ts';
import { VigilError } from '../../src/errors.ts';
import { intersectRanges, mergeRanges, type TimeRange } from '../../src/time.ts';
import type { EdgeFetcher, EdgeFetchRequest, EdgeFetchResult, FetchedSegment } from './edge-fetch-types.ts';
import { writeFmp4Segment, type VideoConfig } from './fmp4-writer.ts';
import { H264Depacketizer, parseSpropParameterSets } from './h264-depacketizer.ts';
import { H265Depacketizer, parseH265Sprops } from './h265-depacketizer.ts';
import { replayVideoRefusal } from './replay-codec.ts';
import type { AccessUnit, VideoDepacketizer } from './video-depacketizer.ts';
import { OnvifEdgeClient } from './onvif-edge-client.ts';
import { parseOnvifReplayExtension, parseRtpHeader } from './onvif-replay-extension.ts';
import type { AudioTrackSamples } from './fmp4-audio.ts';
import { chooseReplayAudio, ReplayAudio } from './replay-audio.ts';
import { ReplaySegmenter, type CutSegment, type SegmenterFrame } from './replay-segmenter.ts';
import { RtspClient } from './rtsp-client.ts';

/**
 * Fetches one interval of footage from a camera's own storage: ONVIF search (what it holds),
 * GetReplayUri, RTSP replay of exactly that interval (Require: onvif-replay, Range: clock=…,
 * Rate-Control: no, bounded in bytes per second), frames placed by their absolute times
 * (ONVIF RTP header extension, camera clock − clockOffsetMs), cut by the segmenter and written
 * as fMP4 segment files shaped like live ones (temp name, then rename). Audio as live segments
 * carry it (replay-audio.ts): AAC copied, G.711 encoded to AAC; a segment waits until the
 * audio has reached its end (or the audio is 5 s behind, or the replay ended).
 *
 * Outcomes: the camera holds nothing of the range → empty result with the reason; the replay
 * breaks off → what was complete is kept and said; abort → files of this call removed, error.
 */

const TICKS_PER_MS = 90;
/** A segment waits no longer for audio than until the video is this far ahead of it. */
const AUDIO_WAIT_MS = 5_000;

interface Frame extends SegmenterFrame {
  au: AccessUnit;
  /** Unwrapped 90 kHz RTP time (exact spacing within a run). */
  ticks: number;
}

/** RTSP clock range value (ISO 8601 basic, UTC) as the ONVIF streaming spec uses. */
export function clockRangeValue(startMs: number, endMs: number): string {
  const f = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '');
  return `clock=${f(startMs)}-${f(endMs)}`;
}

export function createEdgeFetcher(deps: { clock: Clock }): EdgeFetcher {
  return (req) => fetchWith(deps.clock, req);
}

export const fetchEdgeFootage: EdgeFetcher = createEdgeFetcher({ clock: systemClock });

async function fetchWith(clock: Clock, req: EdgeFetchRequest): Promise<EdgeFetchResult> {
  const where = `${req.onvif.host}:${req.onvif.port}`;
  const log = req.log.child({ cameraId: req.cameraId });
  const onvif = new OnvifEdgeClient(req.onvif, clock, { timeoutMs: req.requestTimeoutMs, clockOffsetMs: req.clockOffsetMs, signal: req.signal });
  const services = await onvif.getServices();
  if (!services.searchXaddr || !services.replayXaddr) {
    return { segments: [], recovered: [], edgeHas: [], detail: `Camera at ${where} offers no ONVIF recording search and replay (no Profile G).` };
  }
  const recordings = (await onvif.findRecordings(services.searchXaddr)).filter((r) => r.hasVideo && r.token);
  const toRecorder = (ms: number) => ms - req.clockOffsetMs;
  const spans = recordings
    .filter((r) => r.earliestMs !== null && r.latestMs !== null)
    .map((r) => ({ token: r.token, range: intersectRanges({ startMs: toRecorder(r.earliestMs!), endMs: toRecorder(r.latestMs!) }, req.range) }))
    .filter((s): s is { token: string; range: TimeRange } => s.range !== null);
  const edgeHas = mergeRanges(spans.map((s) => s.range));
  const chosen = spans[0];
  if (!chosen) {
    const what = recordings.length === 0 ? 'holds no recording with video' : 'holds nothing of the wanted interval';
    return { segments: [], recovered: [], edgeHas, detail: `Camera at ${where} ${what} (${new Date(req.range.startMs).toISOString()} to ${new Date(req.range.endMs).toISOString()}).` };
  }
  const uri = await onvif.getReplayUri(services.replayXaddr, chosen.token);
  const replay = await replayRange(clock, req, uri, chosen.range);
  const recovered = mergeRanges(replay.segments.map((s) => ({ startMs: s.startMs, endMs: s.startMs + s.durationMs })));
  const held = edgeHas.map((r) => `${new Date(r.startMs).toISOString()}–${new Date(r.endMs).toISOString()}`).join(', ');
  const detail =
    `Fetched ${replay.segments.length} segment(s) from camera at ${where}; it holds ${held || 'nothing'} of the interval. ` +
    `Replay ${replay.endReason}; ${replay.bytesRead} bytes read, ${replay.lostPackets} RTP packets lost, ${replay.skippedFrames} frames not usable. ${replay.audioNote}`;
  log.info({ segments: replay.segments.length, bytesRead: replay.bytesRead, lostPackets: replay.lostPackets }, 'edge footage fetched');
  return { segments: replay.segments, recovered, edgeHas, detail };
}

interface ReplayOutcome {
  segments: FetchedSegment[];
  bytesRead: number;
  lostPackets: number;
  skippedFrames: number;
  endReason: string;
  /** Plain words on the audio of the segments. */
  audioNote: string;
}

async function replayRange(clock: Clock, req: EdgeFetchRequest, uri: string, range: TimeRange): Promise<ReplayOutcome> {
  const log = req.log.child({ cameraId: req.cameraId });
  const rtsp = new RtspClient({ url: uri, username: req.onvif.username, password: req.onvif.password, requestTimeoutMs: req.requestTimeoutMs, clock, maxBytesPerSec: req.maxBytesPerSec, signal: req.signal });
  const replayHeaders = { Require: 'onvif-replay' };
  const written: FetchedSegment[] = [];
  let writing: Promise<void> = Promise.resolve();
  let writeError: unknown = null;
  try {
    await rtsp.connect();
    const { sdp } = await rtsp.describe(replayHeaders);
    const video = sdp.media.find((m) => m.kind === 'video');
    const refusal = replayVideoRefusal(video);
    // Not a passing fault: asking again gives the same answer, so the job ends (unsupported).
    if (refusal || !video) throw new VigilError('camera_replay_failed', `Camera at ${rtsp.address} ${refusal}.`, { unsupported: true });
    const frameIntervalMs = video.frameRate ? 1000 / video.frameRate : 40;
    const depack: VideoDepacketizer = video.encoding === 'H265' ? new H265Depacketizer(parseH265Sprops(video.fmtp)) : new H264Depacketizer(parseSpropParameterSets(video.fmtp.get('sprop-parameter-sets') ?? ''));
    const segmenter = new ReplaySegmenter<Frame>({ range: req.range, segmentTargetMs: req.segmentTargetMs, clockOffsetMs: req.clockOffsetMs, frameIntervalMs });
    const audioChoice = chooseReplayAudio(sdp.media.find((m) => m.kind === 'audio'), req.audio ?? 'auto');
    let audio = 'plan' in audioChoice ? new ReplayAudio(audioChoice.plan, { clockOffsetMs: req.clockOffsetMs, ffmpegPath: req.ffmpegPath ?? 'ffmpeg', log, signal: req.signal }) : null;
    let audioLeftOut = 'leftOut' in audioChoice ? audioChoice.leftOut : null;
    let lastNtp: { ms: number; ticks: number } | null = null;
    let unwrapped: { raw: number; ticks: number } | null = null;
    let latestVideoMs = -Infinity;
    const waiting: CutSegment<Frame>[] = [];
    const flush = (all: boolean) => {
      for (;;) {
        const seg = waiting[0];
        if (!seg) return;
        const endMs = seg.startMs + seg.durationMs;
        if (!all && audio && audio.latestMs < endMs && latestVideoMs - audio.latestMs < AUDIO_WAIT_MS) return;
        waiting.shift();
        const makeAudio = audio ? audio.prepare(seg) : null;
        writing = writing.then(async () => {
          if (writeError) return;
          try {
            written.push(await writeSegment(req.outDir, seg, depack, frameIntervalMs, makeAudio ? await makeAudio() : null));
          } catch (e) {
            writeError = e;
          }
        });
      }
    };
    const emit = (segs: CutSegment<Frame>[]) => {
      waiting.push(...segs);
      flush(false);
    };
    rtsp.onPacket = (channel, pkt) => {
      if (channel === 2 && audio && !segmenter.done) {
        const h = parseRtpHeader(pkt);
        if (h) audio.push(h);
        flush(false);
        return;
      }
      if (channel !== 0 || segmenter.done) return;
      const h = parseRtpHeader(pkt);
      if (!h) return;
      for (const au of depack.push(h, parseOnvifReplayExtension(h))) {
        const delta = unwrapped ? ((au.rtpTimestamp - unwrapped.raw + 0x8000_0000) % 0x1_0000_0000 >>> 0) - 0x8000_0000 : 0;
        unwrapped = { raw: au.rtpTimestamp, ticks: (unwrapped?.ticks ?? 0) + delta };
        const ticks = unwrapped.ticks;
        let cameraMs: number;
        if (au.ntpMs !== null) {
          cameraMs = au.ntpMs;
          lastNtp = { ms: au.ntpMs, ticks };
        } else if (lastNtp) {
          cameraMs = lastNtp.ms + (ticks - lastNtp.ticks) / TICKS_PER_MS;
        } else {
          continue; // no absolute time yet: cannot be placed
        }
        latestVideoMs = Math.max(latestVideoMs, cameraMs - req.clockOffsetMs);
        emit(segmenter.push({ cameraMs, keyframe: au.keyframe, discontinuity: au.discontinuity, au, ticks }));
      }
      if (segmenter.done) void rtsp.close(sdp.controlUrl);
    };
    await rtsp.setup(video.controlUrl, 0, replayHeaders);
    if (audio) {
      const track = audio.plan.media.controlUrl;
      await rtsp.setup(track, 2, replayHeaders).catch((e: Error) => {
        audioLeftOut = `the camera refused to replay its audio track (${e.message})`;
        audio = null;
      });
    }
    await rtsp.play(sdp.controlUrl, { ...replayHeaders, Range: clockRangeValue(range.startMs + req.clockOffsetMs, range.endMs + req.clockOffsetMs), 'Rate-Control': 'no' });
    const end = await rtsp.ended;
    if (end.reason === 'aborted') throw new VigilError('camera_replay_failed', `The replay from ${rtsp.address} was stopped (aborted).`);
    waiting.push(...segmenter.end());
    flush(true);
    await writing;
    if (writeError) throw writeError;
    const endReason = segmenter.done && end.reason !== 'error' ? (end.reason === 'bye' ? 'ended by the camera (BYE)' : 'complete') : end.reason === 'error' ? `broke off (${end.error.message})` : 'ended when the camera closed the connection';
    const audioNote = describeAudio(audio, audioLeftOut, written.length);
    if (audioLeftOut) log.warn({ reason: audioLeftOut }, 'edge footage fetched without audio');
    return { segments: written, bytesRead: rtsp.bytesRead, lostPackets: depack.lostPackets + (audio?.lostPackets ?? 0), skippedFrames: segmenter.skippedFrames + depack.droppedAccessUnits, endReason, audioNote };
  } catch (e) {
    await writing;
    if (req.signal.aborted) await Promise.all(written.map((s) => rm(s.path, { force: true })));
    throw e;
  } finally {
    await rtsp.close().catch(() => undefined);
  }
}

function describeAudio(audio: ReplayAudio | null, leftOut: string | null, segments: number): string {
  if (leftOut) return `Video only: ${leftOut}.`;
  if (!audio) return 'The camera replays no audio (or audio is off): video only, as live.';
  const what = audio.plan.codec === 'aac' ? 'AAC audio copied' : `${audio.plan.encoding} audio encoded to AAC`;
  if (audio.segmentsWithoutAudio === 0) return `${what} in every segment.`;
  return `${what}, but ${audio.segmentsWithoutAudio} of ${segments} segment(s) are video only: ${audio.firstFailure}.`;
}

/** The parameter sets in force at a segment's first keyframe: its own in-band ones, else the latest known. */
function segmentConfig(firstNals: readonly Buffer[], depack: VideoDepacketizer): VideoConfig {
  const { syntax } = depack;
  const set = (kind: 'vps' | 'sps' | 'pps') => firstNals.find((n) => n.length >= syntax.headerBytes && syntax.parameterSet(syntax.type(n)) === kind) ?? depack.sets[kind];
  const [vps, sps, pps] = [set('vps'), set('sps'), set('pps')];
  if (syntax.codec === 'h265') {
    if (!vps || !sps || !pps) throw new VigilError('camera_replay_failed', 'The replayed stream carried no H.265 parameter sets (VPS/SPS/PPS).');
    return { codec: 'h265', vps, sps, pps };
  }
  if (!sps || !pps) throw new VigilError('camera_replay_failed', 'The replayed stream carried no H.264 parameter sets (SPS/PPS).');
  return { sps, pps };
}

async function writeSegment(outDir: string, seg: CutSegment<Frame>, depack: VideoDepacketizer, frameIntervalMs: number, audio: AudioTrackSamples | null): Promise<FetchedSegment> {
  const base = seg.frames[0]!.frame.ticks;
  const bytes = writeFmp4Segment(
    segmentConfig(seg.frames[0]!.frame.au.nalUnits, depack),
    seg.frames.map(({ frame }) => ({ data: { nalUnits: frame.au.nalUnits }, keyframe: frame.keyframe, ptsTicks: frame.ticks - base })),
    { frameIntervalTicks: Math.round(frameIntervalMs * TICKS_PER_MS), ...(audio ? { audio } : {}) },
  );
  const name = `${seg.startMs}-${seg.durationMs}.mp4`;
  const path = join(outDir, name);
  const tmp = join(outDir, `.${name}.${process.pid}.tmp`);
  await writeFile(tmp, bytes);
  await rename(tmp, path);
  return { path, startMs: seg.startMs, durationMs: seg.durationMs, sizeBytes: bytes.length };
}
