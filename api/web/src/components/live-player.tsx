import { useEffect, useRef, useState } from 'preact/hooks';
// @ts-ignore -- a plain ES module without type declarations, shared with the live tests and bench
import { startLivePlayer as startUntyped } from '../../../live/browser/live-player.js';
import { useI18n } from '../i18n.ts';

/**
 * Live view: the live issue's player (api/live/browser/live-player.js: the WebSocket of
 * GET /api/v1/cameras/{id}/live into Media Source Extensions, acking what it appended, kept
 * near the live edge), with the states said in plain words and a way to connect again.
 */
type LiveState = 'connecting' | 'playing' | 'waiting' | 'unsupported' | 'ended';
type StartLivePlayer = (video: HTMLVideoElement, url: string, opts: { onState?: (state: LiveState, detail?: unknown) => void }) => { stop(): void };
const startLivePlayer = startUntyped as StartLivePlayer;

export function liveUrl(loc: { protocol: string; host: string }, cameraId: string): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/api/v1/cameras/${encodeURIComponent(cameraId)}/live`;
}

export function LivePlayer({ cameraId, label }: { cameraId: string; label: string }) {
  const { t } = useI18n();
  const videoRef = useRef<HTMLVideoElement>(null);
  const [state, setState] = useState<{ kind: LiveState; detail: string; everPlayed: boolean }>({ kind: 'connecting', detail: '', everPlayed: false });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let last: LiveState | null = null;
    let played = false;
    const player = startLivePlayer(videoRef.current!, liveUrl(location, cameraId), {
      onState: (kind, detail) => {
        if (kind === last) return; // 'playing' comes with every fragment
        last = kind;
        if (kind === 'playing') played = true;
        const d = detail && typeof detail === 'object' ? String((detail as { reason?: string; code?: number }).reason || (detail as { code?: number }).code || '') : String(detail ?? '');
        setState({ kind, detail: d, everPlayed: played });
      },
    });
    return () => player.stop();
  }, [cameraId, attempt]);

  const note =
    state.kind === 'connecting' || state.kind === 'waiting'
      ? t('camera.liveConnecting')
      : state.kind === 'unsupported'
        ? t('camera.liveFailed', { detail: state.detail })
        : state.kind === 'ended'
          ? state.everPlayed
            ? t('camera.liveEnded')
            : t('camera.liveUnreachable')
          : null;
  return (
    <div class="live" data-live-state={state.kind}>
      <video ref={videoRef} class="player" muted autoplay playsInline aria-label={label} data-testid="live-video" />
      {note && (
        <p class="player-note" role={state.kind === 'ended' || state.kind === 'unsupported' ? 'alert' : 'status'}>
          {note}{' '}
          {(state.kind === 'ended' || state.kind === 'unsupported') && (
            <button type="button" onClick={() => setAttempt((a) => a + 1)}>
              {t('camera.liveRetry')}
            </button>
          )}
        </p>
      )}
    </div>
  );
}
