import { useEffect, useState } from 'preact/hooks';
import type { Camera, Site } from '../api-types.ts';
import { useSession } from '../app-context.ts';
import { fillPath, SNAPSHOT_PATH, snapshotsAvailable } from '../feature-routes.ts';
import { useI18n } from '../i18n.ts';
import { formatDateTime, formatTime } from '../time-format.ts';
import { useLoad } from '../use-load.ts';
import { AppLink } from '../components/app-link.tsx';
import { cameraState, StateBadge } from '../components/state-badge.tsx';
import { Empty, ErrorBox, Loading, Notice } from '../components/status.tsx';

/**
 * Cameras grouped by site (site tree order, with each site's path), state and since when,
 * refreshed every 5 s; with snapshots when the server offers them (refreshed while shown).
 */
export interface SiteGroup {
  key: string;
  title: string;
  cameras: Camera[];
}

export function groupBySite(sites: readonly Site[], cameras: readonly Camera[], noSiteTitle: string): SiteGroup[] {
  const groups: SiteGroup[] = [];
  for (const s of sites) {
    const cams = cameras.filter((c) => c.site?.id === s.id);
    if (cams.length > 0) groups.push({ key: s.id, title: [...s.path.map((p) => p.name), s.name].join(' › '), cameras: cams });
  }
  const known = new Set(sites.map((s) => s.id));
  const rest = cameras.filter((c) => !c.site || !known.has(c.site.id));
  if (rest.length > 0) groups.push({ key: '', title: noSiteTitle, cameras: rest });
  return groups;
}

export function GridPage() {
  const { t } = useI18n();
  const s = useSession();
  const tz = s.settings.timeZone;
  const loaded = useLoad(
    async (signal) => {
      const [cams, sites] = await Promise.all([s.api.get<{ cameras: Camera[] }>('/api/v1/cameras', signal), s.api.get<{ sites: Site[] }>('/api/v1/sites', signal)]);
      return { cameras: cams.cameras, sites: sites.sites, at: Date.now() };
    },
    [],
    { refreshMs: 5000 },
  );

  const firstRecording = loaded.data?.cameras.find((c) => cameraState(c) === 'recording')?.id;
  const [wall, setWall] = useState<boolean | null>(null);
  useEffect(() => {
    if (!s.can('live.view') || !s.settings.live || !firstRecording || wall !== null) return;
    void snapshotsAvailable(firstRecording).then(setWall);
  }, [firstRecording, wall, s]);
  const snapshot = wall ? SNAPSHOT_PATH : undefined;

  if (loaded.loading && !loaded.data) return <Loading />;
  if (!loaded.data) return <ErrorBox error={loaded.error} retry={loaded.reload} />;
  const { cameras, sites, at } = loaded.data;
  const groups = groupBySite(sites, cameras, t('common.noSite'));
  const recording = cameras.filter((c) => cameraState(c) === 'recording').length;
  return (
    <section>
      <div class="page-head">
        <h1>{t('grid.title')}</h1>
        <p class="muted">
          {t('grid.recordingCount', { n: recording, total: cameras.length })} · {t('grid.refreshed', { time: formatTime(at, tz) })} · {t('common.timeZone', { zone: tz })}
        </p>
      </div>
      {loaded.error !== undefined && <ErrorBox error={loaded.error} retry={loaded.reload} />}
      {s.can('live.view') && (wall === false || !s.settings.live) && <Notice>{t('grid.wallOff')}</Notice>}
      {cameras.length === 0 && <Empty>{t('grid.empty')}</Empty>}
      {groups.map((g) => (
        <section key={g.key} class="site-group" aria-labelledby={`site-${g.key}`}>
          <h2 id={`site-${g.key}`}>
            {g.title} <span class="muted small">{g.cameras.length === 1 ? t('grid.countOne') : t('grid.count', { n: g.cameras.length })}</span>
          </h2>
          <ul class="camera-grid">
            {g.cameras.map((c) => (
              <li key={c.id} class="camera-tile" data-camera={c.id}>
                <AppLink href={`/cameras/${encodeURIComponent(c.id)}`} aria-label={t('grid.open', { name: c.name })}>
                  <div class="tile-picture">{snapshot && cameraState(c) === 'recording' ? <Snapshot url={`${fillPath(snapshot, { id: c.id })}?width=320`} /> : <span class="tile-icon" aria-hidden="true">▶</span>}</div>
                  <div class="tile-body">
                    <div class="tile-name">{c.name}</div>
                    <div class="tile-state">
                      <StateBadge state={cameraState(c)} />
                    </div>
                    {c.stateSinceMs !== null && <div class="muted small tile-since">{t('common.since', { time: formatDateTime(c.stateSinceMs, tz) })}</div>}
                    <div class="muted small">{c.lastFootageEndMs !== null ? t('grid.lastFootage', { time: formatDateTime(c.lastFootageEndMs, tz) }) : t('grid.noFootage')}</div>
                  </div>
                </AppLink>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </section>
  );
}

/** A snapshot refreshed every 5 s while the page is visible; a failed one keeps the last picture. */
function Snapshot({ url }: { url: string }) {
  const [tick, setTick] = useState(() => Date.now());
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const timer = setInterval(() => document.visibilityState === 'visible' && setTick(Date.now()), 5000);
    return () => clearInterval(timer);
  }, []);
  const sep = url.includes('?') ? '&' : '?';
  return failed ? <span class="tile-icon" aria-hidden="true">▶</span> : <img src={`${url}${sep}t=${tick}`} alt="" loading="lazy" onError={() => setFailed(true)} />;
}
