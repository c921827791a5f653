import type { Camera, Timeline } from '../api-types.ts';
import { useSession } from '../app-context.ts';
import { ROUTES } from '../feature-routes.ts';
import { reasonText, useI18n, durationText } from '../i18n.ts';
import { camerasDown, todaysGaps } from '../ops-summary.ts';
import { formatDateTime, formatTime, startOfZonedDay } from '../time-format.ts';
import { timelinePath } from '../range-query.ts';
import { useLoad } from '../use-load.ts';
import { AppLink } from '../components/app-link.tsx';
import { cameraState, StateBadge } from '../components/state-badge.tsx';
import { Empty, ErrorBox, Loading, Notice } from '../components/status.tsx';
import { UptimeTable } from '../components/uptime-table.tsx';

/**
 * For operations staff: cameras down now and since when, today's gaps with their reasons,
 * office-hours uptime of the week (when the server offers the report), and Grafana.
 * Refreshed every 5 s.
 */
export function OpsPage() {
  const { t } = useI18n();
  const s = useSession();
  const tz = s.settings.timeZone;
  const loaded = useLoad(
    async (signal) => {
      const { cameras } = await s.api.get<{ cameras: Camera[] }>('/api/v1/cameras', signal);
      const now = Date.now();
      const dayStart = startOfZonedDay(now, tz);
      const timelines = await Promise.all(cameras.map(async (c) => ({ camera: c, gaps: (await s.api.get<Timeline>(timelinePath(c.id, dayStart, now + 1000, tz), signal)).gaps })));
      return { cameras, timelines, at: now };
    },
    [tz],
    { refreshMs: 5000 },
  );
  if (!s.can('events.view')) return <Notice kind="warn">{t('ops.noPermission')}</Notice>;
  if (loaded.loading && !loaded.data) return <Loading />;
  if (!loaded.data) return <ErrorBox error={loaded.error} retry={loaded.reload} />;
  const { cameras, timelines, at } = loaded.data;
  const down = camerasDown(cameras);
  const { gaps, lostMsByReason } = todaysGaps(timelines);
  const uptime = ROUTES.uptime(s);
  const canOpenCamera = s.can('cameras.view');
  // The dashboards of grafana/ (uids vigil-fleet, vigil-storage, vigil-camera).
  const grafana = s.settings.grafanaUrl?.replace(/\/+$/, '');
  return (
    <section>
      <div class="page-head">
        <h1>{t('ops.title')}</h1>
        <p class="muted">{t('ops.refreshed', { time: formatTime(at, tz) })} · {t('common.timeZone', { zone: tz })}</p>
      </div>
      {loaded.error !== undefined && <ErrorBox error={loaded.error} retry={loaded.reload} />}
      <div class="ops-grid">
        <section class="card" aria-labelledby="ops-down">
          <h2 id="ops-down">{t('ops.down')}</h2>
          {down.length === 0 ? (
            <p class="ok-text" data-testid="ops-all-up">{t('ops.allUp', { n: cameras.length })}</p>
          ) : (
            <ul class="down-list" data-testid="ops-down-list">
              {down.map((c) => (
                <li key={c.id} data-camera={c.id}>
                  <strong>{canOpenCamera ? <AppLink href={`/cameras/${encodeURIComponent(c.id)}`}>{c.name}</AppLink> : c.name}</strong>
                  {c.site && <span class="muted"> · {c.site.name}</span>}
                  <div>
                    <StateBadge state={cameraState(c)} />{' '}
                    {c.stateSinceMs !== null && (
                      <span>
                        {t('common.since', { time: formatDateTime(c.stateSinceMs, tz) })} ({durationText(t, at - c.stateSinceMs)})
                      </span>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section class="card" aria-labelledby="ops-grafana">
          <h2 id="ops-grafana">{t('ops.grafana')}</h2>
          {grafana ? (
            <ul class="links">
              <li>
                <a href={`${grafana}/d/vigil-fleet`} target="_blank" rel="noopener noreferrer">{t('ops.grafanaFleet')} ↗</a>
              </li>
              <li>
                <a href={`${grafana}/d/vigil-storage`} target="_blank" rel="noopener noreferrer">{t('ops.grafanaStorage')} ↗</a>
              </li>
              {down.map((c) => (
                <li key={c.id}>
                  <a href={`${grafana}/d/vigil-camera?var-camera=${encodeURIComponent(c.id)}`} target="_blank" rel="noopener noreferrer">
                    {t('ops.grafanaCamera', { name: c.name })} ↗
                  </a>
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted">{t('ops.grafanaNone')}</p>
          )}
        </section>
      </div>
      <section class="card" aria-labelledby="ops-gaps">
        <h2 id="ops-gaps">{t('ops.gapsToday')}</h2>
        {gaps.length === 0 ? (
          <Empty>{t('ops.noGapsToday')}</Empty>
        ) : (
          <>
            <p>
              {Object.entries(lostMsByReason).map(([r, ms]) => (
                <span key={r} class="legend-item">
                  {reasonText(t, r)}: {t('ops.lost', { duration: durationText(t, ms) })}
                </span>
              ))}
            </p>
            <table class="table" data-testid="ops-gaps">
              <thead>
                <tr>
                  <th>{t('common.camera')}</th>
                  <th>{t('common.from')}</th>
                  <th>{t('common.to')}</th>
                  <th>{t('common.duration')}</th>
                  <th>{t('common.reason')}</th>
                </tr>
              </thead>
              <tbody>
                {gaps.slice(0, 50).map((g) => (
                  <tr key={`${g.cameraId}-${g.startMs}`} data-camera={g.cameraId} data-reason={g.reason}>
                    <td>{g.cameraName}</td>
                    <td>{formatTime(g.startMs, tz)}</td>
                    <td>{formatTime(g.endMs, tz)}</td>
                    <td>{durationText(t, g.endMs - g.startMs)}</td>
                    <td>{reasonText(t, g.reason)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>
      <section class="card" aria-labelledby="ops-uptime">
        <h2 id="ops-uptime">{t('ops.uptime')}</h2>
        {uptime && s.can('reports.view') ? <UptimeTable route={uptime} /> : <p class="muted">{t('ops.uptimeUnavailable')}</p>}
      </section>
    </section>
  );
}
