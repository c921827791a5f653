import { useEffect, useRef, useState } from 'preact/hooks';
import type { Timeline } from '../api-types.ts';
import { reasonText, useI18n } from '../i18n.ts';
import { formatDateTime, formatTime } from '../time-format.ts';
import { fractionOf, instantAt, keyStepMs, place, ticks, type Window, type Zoom } from '../timeline-scale.ts';

/**
 * The timeline bar of one window (a day or an hour): recorded spans (footage recovered from the
 * camera's storage striped, and said so in the hover text and the slider's value text), gaps coloured by reason,
 * time with no data, tick labels, the instant being shown, the in/out marks. Hovering shows
 * the time, the gap's reason and a thumbnail; a click (or Enter after the arrow keys) asks to
 * play from that instant.
 */
export interface TimelineBarProps {
  window: Window;
  zoom: Zoom;
  timeZone: string;
  data: Timeline | undefined;
  cursorMs: number | null;
  markInMs: number | null;
  markOutMs: number | null;
  nowMs: number;
  thumbnailUrl?: ((ms: number) => string) | undefined;
  onPick(ms: number): void;
}

export const GAP_CLASS = (reason: string) => `gap gap-${/^[a-z_]+$/.test(reason) ? reason : 'other'}`;

export function TimelineBar(p: TimelineBarProps) {
  const { t } = useI18n();
  const barRef = useRef<HTMLDivElement>(null);
  const [hover, setHover] = useState<{ ms: number; x: number } | null>(null);
  const [thumbMs, setThumbMs] = useState<number | null>(null);
  const [thumbState, setThumbState] = useState<'loading' | 'ok' | 'none'>('loading');
  const [keyMs, setKeyMs] = useState<number | null>(null);
  const w = p.window;

  // Keyboard cursor follows the playing instant until the user moves it.
  const focusMs = keyMs ?? p.cursorMs ?? Math.min(p.nowMs, w.endMs - 1000);

  const atX = (clientX: number) => {
    const r = barRef.current!.getBoundingClientRect();
    return { ms: instantAt((clientX - r.left) / r.width, w), x: clientX - r.left };
  };
  const recordedAt = (ms: number) => p.data?.spans.some((s) => s.startMs <= ms && ms < s.endMs) ?? false;
  const gapAt = (ms: number) => p.data?.gaps.find((g) => g.startMs <= ms && ms < g.endMs);
  const backfilledAt = (ms: number) => p.data?.spans.some((s) => s.source === 'backfill' && s.startMs <= ms && ms < s.endMs) ?? false;

  // Thumbnail of the hovered instant, asked for only after the pointer rests 150 ms on a span.
  useEffect(() => {
    if (!hover || !p.thumbnailUrl || !recordedAt(hover.ms)) {
      setThumbMs(null);
      return;
    }
    const timer = setTimeout(() => {
      setThumbState('loading');
      setThumbMs(hover.ms);
    }, 150);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [hover?.ms, p.thumbnailUrl, p.data]);

  const onKey = (e: KeyboardEvent) => {
    const step = keyStepMs(p.zoom, e.shiftKey);
    let next: number | null = null;
    if (e.key === 'ArrowLeft') next = focusMs - step;
    else if (e.key === 'ArrowRight') next = focusMs + step;
    else if (e.key === 'Home') next = w.startMs;
    else if (e.key === 'End') next = Math.min(p.nowMs, w.endMs - 1000);
    else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      p.onPick(focusMs);
      setKeyMs(null);
      return;
    }
    if (next !== null) {
      e.preventDefault();
      setKeyMs(Math.min(w.endMs - 1000, Math.max(w.startMs, Math.round(next / 1000) * 1000)));
    }
  };

  const blocks = [
    ...(p.data?.unknown ?? []).map((u) => ({ r: u, cls: 'unknown', title: t('timeline.unknown') })),
    ...(p.data?.spans ?? []).map((s) => (s.source === 'backfill' ? { r: s, cls: 'span span-backfill', title: t('timeline.backfilledTitle'), source: 'backfill' } : { r: s, cls: 'span', title: t('timeline.recorded') })),
    ...(p.data?.gaps ?? []).map((g) => ({ r: g, cls: GAP_CLASS(g.reason), title: reasonText(t, g.reason), reason: g.reason })),
  ];
  const hoverGap = hover ? gapAt(hover.ms) : undefined;
  const selection = p.markInMs !== null && p.markOutMs !== null && p.markOutMs > p.markInMs ? place({ startMs: p.markInMs, endMs: p.markOutMs }, w) : null;
  const nowF = p.nowMs > w.startMs && p.nowMs < w.endMs ? fractionOf(p.nowMs, w) : null;
  const pct = (f: number) => `${(f * 100).toFixed(3)}%`;

  return (
    <div class="timeline">
      <div
        ref={barRef}
        class="timeline-bar"
        role="slider"
        tabIndex={0}
        aria-label={t('timeline.aria', { from: formatDateTime(w.startMs, p.timeZone), to: formatDateTime(w.endMs, p.timeZone) })}
        aria-valuemin={w.startMs}
        aria-valuemax={w.endMs}
        aria-valuenow={focusMs}
        aria-valuetext={backfilledAt(focusMs) ? t('timeline.hoverBackfilled', { time: formatDateTime(focusMs, p.timeZone) }) : formatDateTime(focusMs, p.timeZone)}
        data-testid="timeline-bar"
        onKeyDown={onKey}
        onBlur={() => setKeyMs(null)}
        onMouseMove={(e) => setHover(atX(e.clientX))}
        onMouseLeave={() => setHover(null)}
        onClick={(e) => {
          setKeyMs(null);
          p.onPick(atX(e.clientX).ms);
        }}
      >
        {blocks.map((b, i) => {
          const pl = place(b.r, w);
          return pl ? <div key={i} class={`block ${b.cls}`} style={{ left: pct(pl.left), width: pct(pl.width) }} title={b.title} data-reason={'reason' in b ? b.reason : undefined} data-source={'source' in b ? b.source : undefined} /> : null;
        })}
        {selection && <div class="selection" style={{ left: pct(selection.left), width: pct(selection.width) }} />}
        {p.markInMs !== null && p.markInMs >= w.startMs && p.markInMs < w.endMs && <div class="mark mark-in" style={{ left: pct(fractionOf(p.markInMs, w)) }} title={t('timeline.markIn')} />}
        {p.markOutMs !== null && p.markOutMs > w.startMs && p.markOutMs <= w.endMs && <div class="mark mark-out" style={{ left: pct(fractionOf(p.markOutMs, w)) }} title={t('timeline.markOut')} />}
        {nowF !== null && <div class="now-line" style={{ left: pct(nowF) }} />}
        {p.cursorMs !== null && p.cursorMs >= w.startMs && p.cursorMs < w.endMs && <div class="cursor" data-testid="timeline-cursor" style={{ left: pct(fractionOf(p.cursorMs, w)) }} />}
        {keyMs !== null && <div class="key-cursor" style={{ left: pct(fractionOf(keyMs, w)) }} />}
        {hover && (
          <div class={`hover-tip ${hover.x > (barRef.current?.clientWidth ?? 0) - 190 ? 'left' : ''}`} style={{ left: `${hover.x}px` }} data-testid="timeline-hover">
            {thumbMs !== null && p.thumbnailUrl && (
              <div class="thumb">
                {thumbState !== 'none' ? (
                  <img src={p.thumbnailUrl(thumbMs)} alt="" width={176} height={99} onLoad={() => setThumbState('ok')} onError={() => setThumbState('none')} data-testid="timeline-thumb" />
                ) : (
                  <span class="muted small">{t('timeline.noThumb')}</span>
                )}
              </div>
            )}
            <div>
              {hoverGap
                ? t('timeline.hoverGap', { time: formatTime(hover.ms, p.timeZone), reason: reasonText(t, hoverGap.reason) })
                : backfilledAt(hover.ms)
                  ? t('timeline.hoverBackfilled', { time: formatTime(hover.ms, p.timeZone) })
                  : formatTime(hover.ms, p.timeZone)}
            </div>
          </div>
        )}
      </div>
      <div class="timeline-ticks" aria-hidden="true">
        {ticks(w, p.zoom, p.timeZone).map((k) => (
          <span key={k.ms} class={k.major ? 'tick major' : 'tick'} style={{ left: pct(k.fraction) }}>
            {k.major ? k.label : ''}
          </span>
        ))}
      </div>
    </div>
  );
}
