import { useState } from 'preact/hooks';
import { query } from '../api-client.ts';
import { useSession } from '../app-context.ts';
import { durationText, reasonText, useI18n } from '../i18n.ts';
import { formatDateTime, zonedParts } from '../time-format.ts';
import { useLoad } from '../use-load.ts';
import { Empty, ErrorBox, Loading } from './status.tsx';

/**
 * Office-hours uptime of the last 7 local days from the ops issue's report route
 * (GET /api/v1/reports/uptime?from&to[&site]): per camera the recorded share of office time,
 * time lost by reason and the longest outage; links to the printable page and the CSV. An
 * account limited to sites picks one of its sites (the route asks for one).
 */
interface Figures {
  officeMs: number;
  recordedMs: number;
  recordedFraction: number | null;
  gapMsByReason: Record<string, number>;
  unaccountedMs: number;
  outages: number;
  longestOutage: { startMs: number; endMs: number; officeMs: number } | null;
}
interface CameraRow extends Figures {
  cameraId: string;
  name: string | null;
}
interface Report {
  sites: Array<Figures & { siteId: string | null; name: string | null; cameras: CameraRow[] }>;
  total: Figures;
}

export function localDate(ms: number, tz: string): string {
  const p = zonedParts(ms, tz);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

const percent = (f: number | null) => (f === null ? '—' : `${(f * 100).toFixed(1)} %`);

export function UptimeTable({ route }: { route: string }) {
  const { t, lang } = useI18n();
  const s = useSession();
  const tz = s.settings.timeZone;
  const scopes = s.me.user.sites;
  const [site, setSite] = useState<string | undefined>(scopes[0]);
  const now = Date.now();
  const from = localDate(now - 6 * 86_400_000, tz);
  const to = localDate(now, tz);
  const q = (format?: string) => `${route}${query({ from, to, site, ...(format ? { format, lang } : {}) })}`;
  const loaded = useLoad((signal) => s.api.get<Report>(q(), signal), [route, from, to, site]);
  return (
    <div>
      <p class="muted small">
        {from.split('-').reverse().join('/')} – {to.split('-').reverse().join('/')} ·{' '}
        <a href={q('html')} target="_blank" rel="noopener">
          {t('ops.printable')}
        </a>{' '}
        ·{' '}
        <a href={q('csv')} download>
          CSV
        </a>
        {scopes.length > 1 && (
          <select value={site} onChange={(e) => setSite(e.currentTarget.value)} aria-label={t('common.site')}>
            {scopes.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        )}
      </p>
      {loaded.loading ? (
        <Loading />
      ) : !loaded.data ? (
        <ErrorBox error={loaded.error} retry={loaded.reload} />
      ) : loaded.data.sites.every((x) => x.cameras.length === 0) ? (
        <Empty>{t('ops.uptimeEmpty')}</Empty>
      ) : (
        <table class="table" data-testid="ops-uptime">
          <thead>
            <tr>
              <th>{t('common.camera')}</th>
              <th>{t('ops.recorded')}</th>
              <th>{t('ops.lostByReason')}</th>
              <th>{t('ops.longest')}</th>
            </tr>
          </thead>
          <tbody>
            {loaded.data.sites.flatMap((x) =>
              x.cameras.map((r) => (
                <tr key={r.cameraId} data-camera={r.cameraId}>
                  <td>
                    {r.name ?? r.cameraId} <span class="muted small">{x.name ?? ''}</span>
                  </td>
                  <td>{r.officeMs === 0 ? t('ops.noOfficeTime') : percent(r.recordedFraction)}</td>
                  <td>
                    {Object.entries(r.gapMsByReason)
                      .filter(([, ms]) => ms > 0)
                      .map(([reason, ms]) => `${reasonText(t, reason)}: ${durationText(t, ms)}`)
                      .join('; ') || t('common.none')}
                  </td>
                  <td>{r.longestOutage ? `${durationText(t, r.longestOutage.officeMs)} (${formatDateTime(r.longestOutage.startMs, tz)})` : t('common.none')}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      )}
    </div>
  );
}
