import { useEffect, useRef, useState } from 'preact/hooks';
// @ts-ignore -- a plain ES module without type declarations, shared with the live tests and bench
import { startLivePlayer as startUntyped } from '../../../live/browser/live-player.js';
import { useI18n } from '../i18n.ts';
import { liveReconnectDelayMs } from '../live-reconnect.ts';

/**
 * Live view: the live issue's player (api/live/browser/live-player.js: the WebSocket of
 * GET /api/v1/cameras/{id}/live into Media Source Extensions, acking what it appended, kept
 * near the live edge), with the states said in plain words and a way to connect again.
 */
type LiveState = 'connecting' | 'playing' | 'waiting' | 'unsupported' | 'ended' | 'reconnecting';
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
  /** Automatic tries since the last picture (live-reconnect.ts decides when to stop). */
  const failedTries = useRef(0);

  useEffect(() => {
    let last: LiveState | null = null;
    let played = false;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    const player = startLivePlayer(videoRef.current!, liveUrl(location, cameraId), {
      onState: (kind, detail) => {
        if (kind === last) return; // 'playing' comes with every fragment
        last = kind;
        if (kind === 'playing') {
          played = true;
          failedTries.current = 0;
        }
        const info = detail && typeof detail === 'object' ? (detail as { reason?: string; code?: number }) : {};
        const d = detail && typeof detail === 'object' ? String(info.reason || info.code || '') : String(detail ?? '');
        const delayMs = kind === 'ended' ? liveReconnectDelayMs(info.code, failedTries.current) : null;
        if (delayMs !== null) {
          failedTries.current++;
          setState((prev) => ({ kind: 'reconnecting', detail: d, everPlayed: prev.everPlayed || played }));
          retryTimer = setTimeout(() => setAttempt((a) => a + 1), delayMs);
          return;
        }
        setState((prev) => ({ kind, detail: d, everPlayed: prev.everPlayed || played }));
      },
    });
    return () => {
      clearTimeout(retryTimer);
      player.stop();
    };
  }, [cameraId, attempt]);

  const note =
    state.kind === 'connecting' || state.kind === 'waiting'
      ? t('camera.liveConnecting')
      : state.kind === 'reconnecting'
        ? t('camera.liveReconnecting')
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
            <button
              type="button"
              onClick={() => {
                failedTries.current = 0;
                setAttempt((a) => a + 1);
              }}
            >
              {t('camera.liveRetry')}
            </button>
          )}
        </p>
      )}
    </div>
  );
}
