import { useEffect, useRef, useState } from 'preact/hooks';
import { useI18n } from '../i18n.ts';

/**
 * Live view over the API's WebSocket (GET /api/v1/cameras/{id}/live upgraded): binary
 * messages are fMP4 pieces appended to a MediaSource as they come (an init segment after each
 * 'stream' message, then fragments); the player acks what it appended so the server knows its
 * lag; it keeps to the live edge (at most ~1.5 s behind) and trims what it has shown.
 */
type LiveStatus = { kind: 'connecting' } | { kind: 'playing' } | { kind: 'waiting'; reason: string } | { kind: 'ended'; reason: string } | { kind: 'failed'; reason: string };

export function LivePlayer({ cameraId, label }: { cameraId: string; label: string }) {
  const { t } = useI18n();
  const videoRef = useRef<HTMLVideoElement>(null);
  const [status, setStatus] = useState<LiveStatus>({ kind: 'connecting' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const video = videoRef.current!;
    if (typeof MediaSource === 'undefined') {
      setStatus({ kind: 'failed', reason: 'Media Source Extensions are not available in this browser' });
      return;
    }
    setStatus({ kind: 'connecting' });
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/api/v1/cameras/${encodeURIComponent(cameraId)}/live`);
    ws.binaryType = 'arraybuffer';
    let appended = 0;
    let closed = false;
    let ms: MediaSource | null = null;
    let sb: SourceBuffer | null = null;
    let objectUrl: string | null = null;
    const queue: ArrayBuffer[] = [];

    const pump = () => {
      if (!sb || sb.updating || queue.length === 0 || !ms || ms.readyState !== 'open') return;
      // Keep about 20 s behind the playhead; drop the rest.
      const b = sb.buffered;
      if (b.length > 0 && video.currentTime - b.start(0) > 30) {
        sb.remove(b.start(0), video.currentTime - 20);
        return;
      }
      try {
        sb.appendBuffer(queue.shift()!);
      } catch (e) {
        setStatus({ kind: 'failed', reason: (e as Error).message });
        ws.close();
      }
    };
    const onUpdateEnd = () => {
      if (!sb) return;
      appended++;
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'ack', count: appended }));
      const b = sb.buffered;
      if (b.length > 0) {
        const end = b.end(b.length - 1);
        if (video.currentTime < b.start(b.length - 1) || end - video.currentTime > 1.5) video.currentTime = Math.max(b.start(b.length - 1), end - 0.3);
      }
      pump();
    };
    const newStream = (mime: string) => {
      queue.length = 0;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      const source = new MediaSource();
      ms = source;
      sb = null;
      objectUrl = URL.createObjectURL(source);
      video.src = objectUrl;
      source.addEventListener(
        'sourceopen',
        () => {
          if (ms !== source) return;
          if (!MediaSource.isTypeSupported(mime)) {
            setStatus({ kind: 'failed', reason: `this browser cannot play ${mime}` });
            ws.close();
            return;
          }
          sb = source.addSourceBuffer(mime);
          sb.mode = 'segments';
          sb.addEventListener('updateend', onUpdateEnd);
          pump();
        },
        { once: true },
      );
      void video.play().catch(() => {
        video.muted = true;
        void video.play().catch(() => undefined);
      });
    };

    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') {
        let msg: { type?: string; mime?: string; reason?: string };
        try {
          msg = JSON.parse(ev.data) as typeof msg;
        } catch {
          return;
        }
        if (msg.type === 'stream' && msg.mime) newStream(msg.mime);
        else if (msg.type === 'waiting') setStatus({ kind: 'waiting', reason: String(msg.reason ?? '') });
        else if (msg.type === 'ended') setStatus({ kind: 'ended', reason: String(msg.reason ?? '') });
        return;
      }
      queue.push(ev.data as ArrayBuffer);
      pump();
    };
    ws.onclose = (ev) => {
      if (closed) return;
      setStatus((s) => (s.kind === 'failed' ? s : { kind: 'ended', reason: ev.reason || String(ev.code) }));
    };
    const onPlaying = () => setStatus({ kind: 'playing' });
    video.addEventListener('playing', onPlaying);
    return () => {
      closed = true;
      video.removeEventListener('playing', onPlaying);
      ws.close(1000);
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      video.removeAttribute('src');
      video.load();
    };
  }, [cameraId, attempt]);

  return (
    <div class="live">
      <video ref={videoRef} class="player" muted autoplay playsInline aria-label={label} data-testid="live-video" />
      {status.kind === 'connecting' && <p class="player-note" role="status">{t('camera.liveConnecting')}</p>}
      {status.kind === 'waiting' && <p class="player-note" role="status">{t('camera.liveConnecting')} {status.reason}</p>}
      {(status.kind === 'ended' || status.kind === 'failed') && (
        <p class="player-note" role="alert">
          {status.kind === 'failed' ? t('camera.liveFailed', { detail: status.reason }) : t('camera.liveEnded')}{' '}
          <button type="button" onClick={() => setAttempt((a) => a + 1)}>
            {t('camera.live')}
          </button>
        </p>
      )}
    </div>
  );
}
