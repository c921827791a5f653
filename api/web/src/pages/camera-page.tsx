import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiProblem } from '../api-client.ts';
import type { Camera, Timeline } from '../api-types.ts';
import { useSession } from '../app-context.ts';
import { fillPath, ROUTES } from '../feature-routes.ts';
import { reasonText, useI18n } from '../i18n.ts';
import { afterPlaylistEnd, playbackStart, playlistRange } from '../playback-start.ts';
import { navigate } from '../router.ts';
import { formatDateTime, formatTime } from '../time-format.ts';
import type { Zoom } from '../timeline-scale.ts';
import { rangeQuery, timelinePath } from '../range-query.ts';
import { useLoad } from '../use-load.ts';
import { AppLink } from '../components/app-link.tsx';
import { ClipPanel } from '../components/clip-panel.tsx';
import { HlsPlayer } from '../components/hls-player.tsx';
import { LivePlayer } from '../components/live-player.tsx';
import { cameraState, StateBadge } from '../components/state-badge.tsx';
import { ErrorBox, Loading, Notice } from '../components/status.tsx';
import { TimelineSection } from '../components/timeline-section.tsx';

/**
 * One camera: live view, or playback from any instant picked on the timeline (URL ?at=<ms>
 * so a link opens the same picture), the timeline, and for handlers the clip panel (mark in,
 * mark out, add to a case, download).
 */
/** Playback of the playlist [fromMs, toMs), fixed when the instant was picked. */
type Mode = { kind: 'live' } | { kind: 'starting' } | { kind: 'playback'; fromMs: number; toMs: number; note?: string; n: number };
let picks = 0;
/** At the end of what was recorded, how often to look for footage indexed since. */
const GO_ON_RETRY_MS = 3_000;

export function CameraPage({ cameraId, query }: { cameraId: string; query: URLSearchParams }) {
  const { t } = useI18n();
  const s = useSession();
  const tz = s.settings.timeZone;
  const atParam = Number(query.get('at'));
  const initialAt = Number.isSafeInteger(atParam) && atParam > 0 ? atParam : null;
  const zoomParam: Zoom = query.get('zoom') === 'hour' ? 'hour' : 'day';
  const cam = useLoad((signal) => s.api.get<Camera>(`/api/v1/cameras/${encodeURIComponent(cameraId)}`, signal), [cameraId], { refreshMs: 5000 });
  const canWatch = s.can('playback.view');
  // Live is a WebSocket (not in the OpenAPI list): tried, and explained if it fails.
  const liveAvailable = s.can('live.view') && s.settings.live;
  const playlist = canWatch ? ROUTES.playlist(s) : undefined;
  const [mode, setMode] = useState<Mode>(initialAt !== null && playlist ? { kind: 'starting' } : { kind: 'live' });
  const [view, setView] = useState<{ centerMs: number; zoom: Zoom }>({ centerMs: initialAt ?? Date.now(), zoom: zoomParam });
  const [cursorMs, setCursorMs] = useState<number | null>(initialAt);
  const [playState, setPlayState] = useState<{ kind: 'loading' | 'playing' } | { kind: 'failed'; text: string }>({ kind: 'loading' });
  const [markIn, setMarkIn] = useState<number | null>(null);
  const [markOut, setMarkOut] = useState<number | null>(null);

  // Keep the URL telling what is shown (reload and copy-link open the same instant).
  useEffect(() => {
    const q = new URLSearchParams();
    if (mode.kind === 'playback') q.set('at', String(mode.fromMs));
    else if (mode.kind === 'starting' && initialAt !== null) q.set('at', String(initialAt));
    if (view.zoom === 'hour') q.set('zoom', 'hour');
    const qs = q.toString();
    navigate(`/cameras/${encodeURIComponent(cameraId)}${qs ? `?${qs}` : ''}`, { replace: true });
  }, [mode, view.zoom, cameraId]);

  /** The timeline of the half hour from an instant (undefined when it cannot be read). */
  const readTimeline = async (fromMs: number): Promise<Timeline | undefined> => {
    try {
      const r = playlistRange(fromMs, Date.now());
      return await s.api.get<Timeline>(timelinePath(cameraId, r.startMs, r.endMs, tz));
    } catch {
      return undefined;
    }
  };

  const pick = async (askedMs: number, data: Timeline | undefined) => {
    if (!playlist) return;
    setPlayState({ kind: 'loading' });
    setCursorMs(askedMs);
    // Not on the bar shown (typed time, playback button): read the half hour from there.
    const tl = data && data.startMs <= askedMs && askedMs < data.endMs ? data : await readTimeline(askedMs);
    const start = tl ? playbackStart(askedMs, tl.spans, tl.gaps) : { kind: 'at' as const, ms: askedMs };
    if (start.kind === 'none') {
      const note = t('camera.playbackNoFootage', { time: formatDateTime(askedMs, tz), why: start.reason ? reasonText(t, start.reason) : t('timeline.unknown') });
      setMode({ kind: 'playback', fromMs: askedMs, toMs: askedMs + 1000, note, n: ++picks });
      setPlayState({ kind: 'failed', text: '' });
      return;
    }
    const note = start.kind === 'next' ? t('camera.playbackNoFootage', { time: formatTime(askedMs, tz), why: start.reason ? reasonText(t, start.reason) : t('timeline.unknown') }) : undefined;
    setMode({ kind: 'playback', fromMs: start.ms, toMs: playlistRange(start.ms, Date.now()).endMs, n: ++picks, ...(note ? { note } : {}) });
    setCursorMs(start.ms);
  };

  // The playlist ended: go on from the last instant shown with what was indexed since, or
  // look again shortly while nothing more is (playing up to what is being recorded now).
  const shownPick = useRef(0);
  shownPick.current = mode.kind === 'playback' ? mode.n : 0;
  const goOnTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(goOnTimer.current), [mode]);
  const goOn = async (reachedMs: number, n: number) => {
    const tl = await readTimeline(reachedMs);
    if (shownPick.current !== n) return; // another instant was picked meanwhile
    const next = tl ? afterPlaylistEnd(reachedMs, tl.spans) : ({ kind: 'wait' } as const);
    if (next.kind === 'play') void pick(next.ms, tl);
    else goOnTimer.current = setTimeout(() => void goOn(reachedMs, n), GO_ON_RETRY_MS);
  };

  // A link with ?at= opens playback at that instant.
  useEffect(() => {
    if (initialAt !== null) void pick(initialAt, undefined);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  if (cam.loading && !cam.data) return <Loading />;
  if (!cam.data) {
    if (cam.error instanceof ApiProblem && cam.error.status === 404)
      return (
        <section>
          <p><AppLink href="/">{t('camera.back')}</AppLink></p>
          <Notice kind="warn">{t('camera.notFound', { id: cameraId })}</Notice>
        </section>
      );
    return <ErrorBox error={cam.error} retry={cam.reload} />;
  }
  const c = cam.data;
  const range = mode.kind === 'playback' ? { startMs: mode.fromMs, endMs: mode.toMs } : null;
  const src = playlist && range && playState.kind !== 'failed' ? `${fillPath(playlist, { id: c.id })}?${rangeQuery(range.startMs, range.endMs, tz)}` : null;

  const onFatal = async (d: { kind: string; status?: number; text: string }) => {
    // Ask the playlist once more for the server's words (no footage, a gap, no permission).
    let text = d.text;
    if (range && playlist) {
      try {
        await s.api.get(`${fillPath(playlist, { id: c.id })}?${rangeQuery(range.startMs, range.endMs, tz)}`);
      } catch (e) {
        if (e instanceof ApiProblem) text = e.detail;
      }
    }
    setPlayState({ kind: 'failed', text: t('camera.playbackFailed', { detail: text }) });
  };

  return (
    <section class="camera-page">
      <div class="page-head">
        <p class="crumbs"><AppLink href="/">{t('camera.back')}</AppLink>{c.site && <span class="muted"> · {c.site.name}</span>}</p>
        <h1>
          {c.name} <StateBadge state={cameraState(c)} />
          {c.stateSinceMs !== null && <span class="muted small"> {t('common.since', { time: formatDateTime(c.stateSinceMs, tz) })}</span>}
        </h1>
      </div>
      <div class="camera-layout">
        <div class="camera-main">
          <div class="segmented mode-switch" role="group">
            <button type="button" aria-pressed={mode.kind === 'live'} onClick={() => setMode({ kind: 'live' })} data-testid="mode-live">
              {t('camera.live')}
            </button>
            <button type="button" aria-pressed={mode.kind !== 'live'} disabled={!playlist} onClick={() => void pick(cursorMs ?? Date.now() - 60_000, undefined)} data-testid="mode-playback">
              {t('camera.playback')}
            </button>
          </div>
          <div class="player-box">
            {mode.kind === 'starting' ? (
              <p class="player-note">{t('camera.playbackLoading')}</p>
            ) : mode.kind === 'live' ? (
              liveAvailable ? (
                <LivePlayer cameraId={c.id} label={`${t('camera.live')} ${c.name}`} />
              ) : (
                <p class="player-note">{s.can('live.view') ? t('camera.liveUnavailable') : t('camera.liveNoPermission', { role: t(`role.${s.me.user.role}`) })}</p>
              )
            ) : src ? (
              <HlsPlayer
                key={`${src}#${mode.kind === 'playback' ? mode.n : 0}`}
                src={src}
                label={`${t('camera.playback')} ${c.name}`}
                onWallTime={(ms) => ms !== null && setCursorMs(ms)}
                onPlaying={() => setPlayState({ kind: 'playing' })}
                onEnded={() => mode.kind === 'playback' && void goOn(cursorMs ?? mode.toMs, mode.n)}
                onFatal={(d) => void onFatal(d)}
              />
            ) : (
              <p class="player-note">{!playlist ? t('camera.playbackUnavailable') : playState.kind === 'failed' && playState.text ? playState.text : mode.note ?? t('camera.pickInstant')}</p>
            )}
          </div>
          <div class="player-status" aria-live="polite">
            {mode.kind === 'playback' && mode.note && <Notice kind="warn">{mode.note}</Notice>}
            {mode.kind === 'playback' && playState.kind === 'loading' && src && <span class="muted">{t('camera.playbackLoading')}</span>}
            {mode.kind === 'playback' && cursorMs !== null && (
              <span data-testid="playing-at">{t('camera.now', { time: formatDateTime(cursorMs, tz) })}</span>
            )}
            {mode.kind === 'live' && playlist && <span class="muted">{t('camera.pickInstant')}</span>}
          </div>
        <TimelineSection
          cameraId={c.id}
          centerMs={view.centerMs}
          zoom={view.zoom}
          cursorMs={mode.kind === 'playback' ? cursorMs : null}
          markInMs={markIn}
          markOutMs={markOut}
          onView={(centerMs, zoom) => setView({ centerMs, zoom })}
          onPick={(ms, data) => void pick(ms, data)}
        />
        </div>
        <ClipPanel camera={c} cursorMs={mode.kind === 'playback' ? cursorMs : null} markInMs={markIn} markOutMs={markOut} setMarkIn={setMarkIn} setMarkOut={setMarkOut} />
      </div>
    </section>
  );
}
