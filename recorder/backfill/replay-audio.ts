import type { Logger } from '../../src/logger.ts';
import { parseAudioSpecificConfig, type AacConfig } from './aac-config.ts';
import { AacDepacketizer, aacRtpParams, G711Depacketizer } from './audio-depacketizer.ts';
import type { AudioTrackSamples } from './fmp4-audio.ts';
import { encodeG711ToAac } from './g711-to-aac.ts';
import { parseOnvifReplayExtension, type RtpHeader } from './onvif-replay-extension.ts';
import type { SdpMedia } from './sdp-parse.ts';
import { encodedAacForSpan, g711ForSpan, g711Silence, pickAacFrames, type SegmentSpan, type TimedAudioFrame } from './segment-audio.ts';

/**
 * The audio side of a replay: which audio track to take (the same choice as live recording:
 * AAC copied, G.711 encoded to AAC, nothing when the camera has none or audio is off), its
 * frames with recorder-clock times (ONVIF NTP time − clockOffsetMs, else the last one + RTP
 * delta), and each segment's AAC samples. A failure to make a segment's audio leaves that
 * segment video-only, is logged once and is counted for the fetch result's detail.
 */

export type ReplayAudioPlan =
  | { codec: 'g711'; encoding: 'PCMA' | 'PCMU'; sampleRate: number; media: SdpMedia }
  | { codec: 'aac'; config: AacConfig; media: SdpMedia };

/** What to do with the replay's audio track: a plan, nothing (none or off), or why it is left out. Pure. */
export function chooseReplayAudio(media: SdpMedia | undefined, setting: 'auto' | 'off'): { plan: ReplayAudioPlan } | { none: true } | { leftOut: string } {
  if (!media || setting === 'off') return { none: true };
  if (media.encoding === 'PCMA' || media.encoding === 'PCMU') {
    if (media.clockRate <= 0) return { leftOut: `its ${media.encoding} audio has no clock rate` };
    return { plan: { codec: 'g711', encoding: media.encoding, sampleRate: media.clockRate, media } };
  }
  if (media.encoding === 'MPEG4-GENERIC') {
    const config = parseAudioSpecificConfig(media.fmtp.get('config') ?? '');
    if (!config) return { leftOut: 'its AAC audio has no usable config= in the SDP' };
    return { plan: { codec: 'aac', config, media } };
  }
  return { leftOut: `its ${media.encoding || 'unknown'} audio cannot be stored (AAC and G.711 can)` };
}

export class ReplayAudio {
  /** Recorder-clock end of the latest frame received (−∞ before the first). */
  latestMs = -Infinity;
  segmentsWithoutAudio = 0;
  firstFailure: string | null = null;
  private readonly depack: G711Depacketizer | AacDepacketizer;
  private readonly sampleRate: number;
  private frames: TimedAudioFrame[] = [];
  private unwrapped: { raw: number; ticks: number } | null = null;
  private lastNtp: { ms: number; ticks: number } | null = null;

  constructor(readonly plan: ReplayAudioPlan, private readonly o: { clockOffsetMs: number; ffmpegPath: string; log: Logger; signal?: AbortSignal }) {
    this.sampleRate = plan.codec === 'g711' ? plan.sampleRate : plan.media.clockRate || plan.config.sampleRate;
    this.depack = plan.codec === 'g711' ? new G711Depacketizer() : new AacDepacketizer(aacRtpParams(plan.media.fmtp), this.sampleRate);
  }

  get lostPackets(): number {
    return this.depack.lostPackets;
  }

  /** One RTP packet of the audio track. */
  push(h: RtpHeader): void {
    for (const f of this.depack.push(h, parseOnvifReplayExtension(h))) {
      const delta = this.unwrapped ? ((f.rtpTimestamp - this.unwrapped.raw + 0x8000_0000) % 0x1_0000_0000 >>> 0) - 0x8000_0000 : 0;
      const ticks = (this.unwrapped?.ticks ?? 0) + delta;
      this.unwrapped = { raw: f.rtpTimestamp, ticks };
      let cameraMs: number;
      if (f.ntpMs !== null) {
        cameraMs = f.ntpMs;
        this.lastNtp = { ms: f.ntpMs, ticks };
      } else if (this.lastNtp) {
        cameraMs = this.lastNtp.ms + ((ticks - this.lastNtp.ticks) * 1000) / this.sampleRate;
      } else {
        continue;
      }
      const timeMs = cameraMs - this.o.clockOffsetMs;
      this.frames.push({ data: f.data, timeMs, ticks });
      const samples = this.plan.codec === 'g711' ? f.data.length : 1024;
      this.latestMs = Math.max(this.latestMs, timeMs + (samples * 1000) / this.sampleRate);
    }
  }

  /**
   * Takes the frames a segment needs now (frames well before its end are forgotten) and gives
   * the work that makes its AAC samples; that work never throws (null = video-only).
   */
  prepare(span: SegmentSpan): () => Promise<AudioTrackSamples | null> {
    const marginMs = 250;
    const endMs = span.startMs + span.durationMs;
    const frames = this.frames.filter((f) => f.timeMs < endMs + marginMs && f.timeMs >= span.startMs - marginMs);
    this.frames = this.frames.filter((f) => f.timeMs >= endMs - marginMs);
    const plan = this.plan;
    return async () => {
      try {
        if (plan.codec === 'aac') {
          const samples = pickAacFrames(frames, span, { asc: plan.config.asc, sampleRate: this.sampleRate, channels: plan.config.channels });
          if (!samples) this.fail(`no AAC frame of the camera's audio fell in the segment at ${new Date(span.startMs).toISOString()}`);
          return samples;
        }
        const pcm = g711ForSpan(frames, span, plan.sampleRate, g711Silence(plan.encoding));
        const aac = await encodeG711ToAac(pcm, { encoding: plan.encoding, sampleRate: plan.sampleRate, ffmpegPath: this.o.ffmpegPath, ...(this.o.signal ? { signal: this.o.signal } : {}) });
        return encodedAacForSpan(aac.frames, span, { asc: aac.config.asc, sampleRate: aac.config.sampleRate, channels: aac.config.channels });
      } catch (e) {
        if (!this.o.signal?.aborted) this.fail((e as Error).message);
        return null;
      }
    };
  }

  private fail(why: string): void {
    this.segmentsWithoutAudio++;
    if (this.firstFailure !== null) return;
    this.firstFailure = why;
    this.o.log.warn({ reason: why }, 'backfilled segment kept without audio');
  }
}
