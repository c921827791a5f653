import type HlsType from 'hls.js';
import { useEffect, useRef } from 'preact/hooks';

/**
 * Recorded playback with hls.js over Vigil's byte-range playlist. The playlist starts the
 * player at the asked instant (EXT-X-START) and carries EXT-X-PROGRAM-DATE-TIME at each run,
 * so hls.playingDate gives the wall-clock time of the picture shown. hls.js (its light build:
 * no subtitles, alternate audio or DRM, which recorded CCTV never has) is loaded on first use,
 * so the login and grid pages do not wait for it.
 */
type HlsClass = typeof HlsType;
let hlsModule: Promise<HlsClass> | undefined;

export function loadHls(): Promise<HlsClass> {
  // The light build ships no type declarations of its own; it is the same class.
  hlsModule ??= (import('hls.js/light' as string) as Promise<{ default: HlsClass }>).then((m) => m.default);
  return hlsModule;
}

export interface FatalDetail {
  kind: 'network' | 'media' | 'other';
  status?: number;
  text: string;
}

export interface HlsPlayerProps {
  src: string;
  onWallTime(ms: number | null): void;
  onPlaying(): void;
  /** The playlist's end was reached (the next footage may be asked for). */
  onEnded(): void;
  onFatal(detail: FatalDetail): void;
  label: string;
}

/** Plays src in video; returns the function that stops it. */
function attach(Hls: HlsClass, video: HTMLVideoElement, src: string, cb: { current: Omit<HlsPlayerProps, 'src' | 'label'> }): () => void {
  // No text-track cues for EXT-X-DATERANGE (the playlist marks backfilled footage with them;
  // the page reads the timeline instead): hls.js would add a <track src="data:,WEBVTT">,
  // which the page's media-src CSP refuses.
  const hls = new Hls({ enableWorker: true, maxBufferLength: 20, backBufferLength: 30, enableDateRangeMetadataCues: false });
  let recovered = false;
  hls.on(Hls.Events.ERROR, (_e, data) => {
    if (!data.fatal) return;
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !recovered) {
      recovered = true;
      hls.recoverMediaError();
      return;
    }
    const status = (data.response as { code?: number } | undefined)?.code;
    const kind = data.type === Hls.ErrorTypes.NETWORK_ERROR ? 'network' : data.type === Hls.ErrorTypes.MEDIA_ERROR ? 'media' : 'other';
    cb.current.onFatal({ kind, ...(status ? { status } : {}), text: data.details });
  });
  hls.on(Hls.Events.MANIFEST_PARSED, () => {
    video.play().catch(() => {
      // Autoplay with sound refused (no gesture yet): play muted; the controls unmute.
      video.muted = true;
      void video.play().catch(() => undefined);
    });
  });
  const onTime = () => {
    const d = hls.playingDate;
    cb.current.onWallTime(d ? d.getTime() : null);
  };
  const onPlaying = () => cb.current.onPlaying();
  const onEnded = () => cb.current.onEnded();
  video.addEventListener('ended', onEnded);
  video.addEventListener('timeupdate', onTime);
  video.addEventListener('seeked', onTime);
  video.addEventListener('playing', onPlaying);
  hls.attachMedia(video);
  hls.loadSource(src);
  return () => {
    video.removeEventListener('timeupdate', onTime);
    video.removeEventListener('seeked', onTime);
    video.removeEventListener('playing', onPlaying);
    video.removeEventListener('ended', onEnded);
    hls.destroy();
  };
}

export function HlsPlayer({ src, onWallTime, onPlaying, onEnded, onFatal, label }: HlsPlayerProps) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const cb = useRef({ onWallTime, onPlaying, onEnded, onFatal });
  cb.current = { onWallTime, onPlaying, onEnded, onFatal };

  useEffect(() => {
    const video = videoRef.current!;
    let stop: (() => void) | undefined;
    let cancelled = false;
    loadHls().then(
      (Hls) => {
        if (cancelled) return;
        if (!Hls.isSupported()) cb.current.onFatal({ kind: 'other', text: 'Media Source Extensions are not available in this browser' });
        else stop = attach(Hls, video, src, cb);
      },
      (e: unknown) => cb.current.onFatal({ kind: 'network', text: String((e as Error)?.message ?? e) }),
    );
    return () => {
      cancelled = true;
      stop?.();
    };
  }, [src]);

  return <video ref={videoRef} class="player" controls playsInline aria-label={label} data-testid="playback-video" />;
}
