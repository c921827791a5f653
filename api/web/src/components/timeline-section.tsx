import { useEffect, useState } from 'preact/hooks';
import type { Timeline } from '../api-types.ts';
import { useSession } from '../app-context.ts';
import { fillPath, ROUTES } from '../feature-routes.ts';
import { reasonText, useI18n, durationText } from '../i18n.ts';
import { formatDate, formatTime, isoInZone, parseDateTimeText } from '../time-format.ts';
import { stepWindow, windowAround, type Window, type Zoom } from '../timeline-scale.ts';
import { timelinePath } from '../range-query.ts';
import { useLoad } from '../use-load.ts';
import { ErrorBox } from './status.tsx';
import { GAP_CLASS, TimelineBar } from './timeline-bar.tsx';

/**
 * The timeline of one camera with its controls: day or hour zoom, earlier/later, a date and
 * time to go to, today; the legend of gap reasons present; a summary of recorded and lost time.
 * The window's timeline is refreshed every 10 s while it contains the present.
 */
export interface TimelineSectionProps {
  cameraId: string;
  centerMs: number;
  zoom: Zoom;
  cursorMs: number | null;
  markInMs: number | null;
  markOutMs: number | null;
  onView(centerMs: number, zoom: Zoom): void;
  onPick(ms: number, data: Timeline | undefined): void;
}

const sum = (rs: ReadonlyArray<{ startMs: number; endMs: number }>) => rs.reduce((a, r) => a + (r.endMs - r.startMs), 0);

export function TimelineSection(p: TimelineSectionProps) {
  const { t } = useI18n();
  const s = useSession();
  const tz = s.settings.timeZone;
  const w: Window = windowAround(p.centerMs, p.zoom, tz);
  const nowMs = Date.now();
  const live = w.startMs <= nowMs && nowMs < w.endMs;
  const loaded = useLoad(
    (signal) => s.api.get<Timeline>(timelinePath(p.cameraId, w.startMs, w.endMs, tz), signal),
    [p.cameraId, w.startMs, w.endMs],
    live ? { refreshMs: 10_000 } : {},
  );
  const [date, setDate] = useState(formatDate(p.centerMs, tz));
  const [time, setTime] = useState(formatTime(p.cursorMs ?? p.centerMs, tz));
  const [badTime, setBadTime] = useState(false);
  useEffect(() => setDate(formatDate(w.startMs, tz)), [w.startMs, tz]);
  const thumb = s.can('thumbnails.view') ? ROUTES.thumbnail(s) : undefined;
  const thumbnailUrl = thumb ? (ms: number) => `${fillPath(thumb, { id: p.cameraId })}?at=${encodeURIComponent(isoInZone(ms, tz))}&width=176` : undefined;
  const data = loaded.data;
  const reasons = [...new Set((data?.gaps ?? []).map((g) => g.reason))];

  const go = (e: Event) => {
    e.preventDefault();
    const ms = parseDateTimeText(date, time, tz);
    setBadTime(ms === null);
    if (ms !== null) {
      p.onView(ms, p.zoom);
      p.onPick(ms, undefined);
    }
  };

  return (
    <section class="timeline-section" aria-labelledby="timeline-title">
      <form class="timeline-controls" onSubmit={go}>
        <h2 id="timeline-title">
          {t('timeline.title')} <span class="muted">{formatDate(w.startMs, tz)}</span>
        </h2>
        <div class="segmented" role="group" aria-label={t('timeline.title')}>
          {(['day', 'hour'] as const).map((z) => (
            <button key={z} type="button" aria-pressed={p.zoom === z} onClick={() => p.onView(z === 'hour' && p.cursorMs !== null ? p.cursorMs : p.centerMs, z)}>
              {t(z === 'day' ? 'timeline.day' : 'timeline.hour')}
            </button>
          ))}
        </div>
        <button type="button" onClick={() => p.onView(stepWindow(w, p.zoom, -1, tz).startMs, p.zoom)} title={t('timeline.prev')} aria-label={t('timeline.prev')}>
          ←
        </button>
        <button type="button" onClick={() => p.onView(stepWindow(w, p.zoom, 1, tz).startMs, p.zoom)} disabled={w.endMs > nowMs} title={t('timeline.next')} aria-label={t('timeline.next')}>
          →
        </button>
        <button type="button" onClick={() => p.onView(nowMs, p.zoom)}>
          {t('timeline.today')}
        </button>
        <input class="date-text" inputMode="numeric" placeholder="dd/mm/yyyy" aria-label={t('common.date')} title={t('common.date')} value={date} onInput={(e) => setDate(e.currentTarget.value)} data-testid="goto-date" />
        <input class="time-text" inputMode="numeric" placeholder="HH:mm:ss" aria-label={t('common.time')} title={t('common.time')} value={time} onInput={(e) => setTime(e.currentTarget.value)} data-testid="goto-time" />
        <button type="submit">{t('timeline.goto')}</button>
      </form>
      {badTime && <p class="form-error" role="alert">{t('find.invalidTime')}</p>}
      {loaded.error !== undefined && <ErrorBox error={loaded.error} retry={loaded.reload} />}
      <TimelineBar
        window={w}
        zoom={p.zoom}
        timeZone={tz}
        data={data}
        cursorMs={p.cursorMs}
        markInMs={p.markInMs}
        markOutMs={p.markOutMs}
        nowMs={nowMs}
        thumbnailUrl={thumbnailUrl}
        onPick={(ms) => p.onPick(ms, data)}
      />
      <div class="legend">
        {loaded.loading && !data ? (
          <span class="muted" role="status">{t('timeline.loading')}</span>
        ) : (
          data && (
            <>
              <span data-testid="timeline-summary">{data.spans.length === 0 ? t('timeline.emptyDay') : t('timeline.summary', { recorded: durationText(t, sum(data.spans)), gaps: durationText(t, sum(data.gaps)) })}</span>
              <span class="legend-item"><i class="block span" /> {t('timeline.recorded')}</span>
              {data.spans.some((s) => s.source === 'backfill') && (
                <span class="legend-item" data-testid="legend-backfill"><i class="block span span-backfill" /> {t('timeline.backfilled')}</span>
              )}
              {reasons.map((r) => (
                <span key={r} class="legend-item"><i class={`block ${GAP_CLASS(r)}`} /> {reasonText(t, r)}</span>
              ))}
              <span class="legend-item"><i class="block unknown" /> {t('timeline.unknown')}</span>
            </>
          )
        )}
      </div>
    </section>
  );
}
