import { useSession } from '../app-context.ts';
import { useI18n } from '../i18n.ts';
import { isoInZone, startOfZonedDay } from '../time-format.ts';
import { useLoad } from '../use-load.ts';
import { ErrorBox, Loading } from './status.tsx';

/**
 * Office-hours uptime of the last 7 days from the server's uptime report route (ops issue),
 * one row per camera: recorded %, and the longest outage.
 */
interface UptimeRow {
  cameraId: string;
  name: string | null;
  recordedFraction: number | null;
  outages?: number;
  longestOutage?: { startMs: number; endMs: number; officeMs: number } | null;
}

function rowsOf(report: unknown): UptimeRow[] {
  const r = report as { sites?: Array<{ cameras?: UptimeRow[] }>; cameras?: UptimeRow[] };
  if (Array.isArray(r.cameras)) return r.cameras;
  return (r.sites ?? []).flatMap((s) => s.cameras ?? []);
}

export function UptimeTable({ route }: { route: string }) {
  const { t } = useI18n();
  const s = useSession();
  const tz = s.settings.timeZone;
  const loaded = useLoad(async (signal) => {
    const end = Date.now();
    const start = startOfZonedDay(end - 6 * 86_400_000, tz);
    return rowsOf(await s.api.get<unknown>(`${route}?start=${encodeURIComponent(isoInZone(start, tz))}&end=${encodeURIComponent(isoInZone(end, tz))}`, signal));
  }, [route, tz]);
  if (loaded.loading) return <Loading />;
  if (!loaded.data) return <ErrorBox error={loaded.error} retry={loaded.reload} />;
  return (
    <table class="table" data-testid="ops-uptime">
      <thead>
        <tr>
          <th>{t('common.camera')}</th>
          <th>{t('ops.recorded')}</th>
          <th>{t('ops.longest')}</th>
        </tr>
      </thead>
      <tbody>
        {loaded.data.map((r) => (
          <tr key={r.cameraId}>
            <td>{r.name ?? r.cameraId}</td>
            <td>{r.recordedFraction === null ? t('common.none') : `${(r.recordedFraction * 100).toFixed(1)} %`}</td>
            <td>{r.longestOutage ? `${Math.round(r.longestOutage.officeMs / 60_000)} min` : t('common.none')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
