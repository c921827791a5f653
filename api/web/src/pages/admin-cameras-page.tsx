import { useState } from 'preact/hooks';
import type { Camera, CameraEvent, Site } from '../api-types.ts';
import { useSession } from '../app-context.ts';
import { findRoute } from '../feature-routes.ts';
import { stateKey, useI18n } from '../i18n.ts';
import { rangeQuery } from '../range-query.ts';
import { formatDateTime } from '../time-format.ts';
import { useLoad } from '../use-load.ts';
import { cameraState, StateBadge } from '../components/state-badge.tsx';
import { Empty, ErrorBox, Loading, Notice } from '../components/status.tsx';
import { CameraAddForm } from '../components/camera-add-form.tsx';

/**
 * The cameras of the configuration with their state and the last day's state changes; for
 * admins (cameras.manage) also finding, testing and adding a camera (CameraAddForm). Other
 * roles see the list only. A server without the camera admin routes gets the command-line way.
 */
export function AdminCamerasPage() {
  const { t } = useI18n();
  const s = useSession();
  const tz = s.settings.timeZone;
  const cams = useLoad(async (signal) => (await s.api.get<{ cameras: Camera[] }>('/api/v1/cameras', signal)).cameras, [], { refreshMs: 5000 });
  const addRoute = s.can('cameras.manage') ? findRoute(s, 'POST', /^\/api\/v1\/admin\/cameras$/) : undefined;
  const sites = useLoad(async (signal) => (addRoute ? (await s.api.get<{ sites: Site[] }>('/api/v1/sites', signal)).sites : []), [addRoute]);
  const [added, setAdded] = useState<{ id: string; recording: boolean; note?: string } | null>(null);
  return (
    <section>
      <div class="page-head">
        <h1>{t('adminCameras.title')}</h1>
        <p class="muted">{t('adminCameras.intro')}</p>
      </div>
      {added && (
        <Notice kind="ok">
          <span data-testid="cam-added">{t(added.recording ? 'adminCameras.addedRecording' : 'adminCameras.addedRestart', { id: added.id })}</span>
          {added.note && <span class="muted"> {added.note}</span>}
        </Notice>
      )}
      {addRoute && (
        <CameraAddForm
          sites={sites.data ?? []}
          onAdded={(r) => {
            setAdded({ id: r.id, recording: r.recording === 'started', ...(r.note ? { note: r.note } : {}) });
            cams.reload();
          }}
        />
      )}
      {s.can('cameras.manage') && !addRoute && <Notice>{t('adminCameras.addHelp')}</Notice>}
      {cams.loading && !cams.data ? (
        <Loading />
      ) : !cams.data ? (
        <ErrorBox error={cams.error} retry={cams.reload} />
      ) : cams.data.length === 0 ? (
        <Empty>{t('grid.empty')}</Empty>
      ) : (
        <table class="table" data-testid="admin-cameras">
          <thead>
            <tr>
              <th>{t('adminCameras.id')}</th>
              <th>{t('adminCameras.name')}</th>
              <th>{t('common.site')}</th>
              <th>{t('adminCameras.enabled')}</th>
              <th>{t('common.state')}</th>
              <th>{t('adminCameras.events')}</th>
            </tr>
          </thead>
          <tbody>
            {cams.data.map((c) => (
              <tr key={c.id} data-camera={c.id} data-state={c.state}>
                <td class="mono">{c.id}</td>
                <td>{c.name}</td>
                <td>{c.site?.name ?? t('common.noSite')}</td>
                <td>{c.enabled ? t('common.yes') : t('common.no')}</td>
                <td>
                  <StateBadge state={cameraState(c)} />
                  {c.stateSinceMs !== null && <div class="muted small">{t('common.since', { time: formatDateTime(c.stateSinceMs, tz) })}</div>}
                </td>
                <td>{s.can('events.view') && <Events cameraId={c.id} tz={tz} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {s.can('cameras.manage') && <p class="muted small">{t('adminCameras.cliHelp')}</p>}
    </section>
  );
}

function Events({ cameraId, tz }: { cameraId: string; tz: string }) {
  const { t } = useI18n();
  const s = useSession();
  const [open, setOpen] = useState(false);
  const events = useLoad(
    async (signal) => {
      if (!open) return [];
      const end = Date.now();
      const q = `?${rangeQuery(end - 86_400_000, end, tz)}`;
      return (await s.api.get<{ events: CameraEvent[] }>(`/api/v1/cameras/${encodeURIComponent(cameraId)}/events${q}`, signal)).events;
    },
    [open, cameraId],
  );
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        {t('adminCameras.events')}
      </button>
    );
  if (events.loading) return <Loading />;
  if (!events.data) return <ErrorBox error={events.error} retry={events.reload} />;
  if (events.data.length === 0) return <span class="muted">{t('adminCameras.noEvents')}</span>;
  return (
    <ul class="events">
      {events.data.slice(-10).reverse().map((e) => (
        <li key={e.atMs}>
          {formatDateTime(e.atMs, tz)}: {t(stateKey(e.to))} <span class="muted small">{e.detail}</span>
        </li>
      ))}
    </ul>
  );
}
