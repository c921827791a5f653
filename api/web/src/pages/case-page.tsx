import { useEffect, useState } from 'preact/hooks';
import type { Camera, Case, CaseClip, ExportJob } from '../api-types.ts';
import { useSession } from '../app-context.ts';
import { ROUTES } from '../feature-routes.ts';
import { useI18n, durationText } from '../i18n.ts';
import { formatDateTime, formatTime } from '../time-format.ts';
import { useLoad } from '../use-load.ts';
import { AppLink } from '../components/app-link.tsx';
import { Empty, ErrorBox, Loading, Notice } from '../components/status.tsx';

/**
 * One case: what it is about, its clips (each on legal hold) with a way to watch them and to
 * export any of them as a signed evidence package, and the exports with their progress and
 * download. Progress is polled every second while a job is queued or running.
 */
export function CasePage({ caseId }: { caseId: string }) {
  const { t } = useI18n();
  const s = useSession();
  const tz = s.settings.timeZone;
  const base = `/api/v1/cases/${encodeURIComponent(caseId)}`;
  const exportsAvailable = ROUTES.caseExports(s) !== undefined;
  const kase = useLoad((signal) => s.api.get<Case>(base, signal), [base]);
  const cams = useLoad(async (signal) => (await s.api.get<{ cameras: Camera[] }>('/api/v1/cameras', signal)).cameras, []);
  const cameraNames = new Map((cams.data ?? []).map((c) => [c.id, c.name] as const));
  const clips = useLoad(async (signal) => (await s.api.get<{ clips: CaseClip[] }>(`${base}/clips`, signal)).clips, [base]);
  const [exportsTick, setExportsTick] = useState(0);
  const [polling, setPolling] = useState(false);
  const exports = useLoad(async (signal) => (exportsAvailable ? (await s.api.get<{ exports: ExportJob[] }>(`${base}/exports`, signal)).exports : []), [base, exportsTick, exportsAvailable], { refreshMs: polling ? 1000 : 15_000 });
  useEffect(() => setPolling((exports.data ?? []).some((e) => e.status === 'queued' || e.status === 'running')), [exports.data]);

  if (kase.loading) return <Loading />;
  if (!kase.data) return <section><p><AppLink href="/cases">{t('case.back')}</AppLink></p><ErrorBox error={kase.error} retry={kase.reload} /></section>;
  const c = kase.data;
  const open = c.status === 'open';
  const mayExport = s.can('exports.create');
  return (
    <section>
      <div class="page-head">
        <p class="crumbs"><AppLink href="/cases">{t('case.back')}</AppLink></p>
        <h1>
          {c.reference} — {c.title} <span class={`badge ${open ? 'badge-ok' : 'badge-idle'}`}>{open ? t('cases.open') : t('cases.closed')}</span>
        </h1>
        <p class="muted">
          {c.site?.name ?? t('common.noSite')} · {t('cases.createdBy')}: {c.createdBy.username} · {formatDateTime(c.createdMs, tz)}
        </p>
        {c.description && <p>{c.description}</p>}
        {!open && <Notice kind="warn">{t('case.closed')}</Notice>}
        {s.can('cases.edit') && <CloseReopen caseBase={base} open={open} onDone={kase.reload} />}
      </div>
      <h2>{t('case.clips')}</h2>
      {clips.loading ? (
        <Loading />
      ) : !clips.data ? (
        <ErrorBox error={clips.error} retry={clips.reload} />
      ) : clips.data.length === 0 ? (
        <Empty>{t('case.noClips')}</Empty>
      ) : (
        <table class="table" data-testid="case-clips">
          <thead>
            <tr>
              <th>{t('common.camera')}</th>
              <th>{t('common.from')}</th>
              <th>{t('common.to')}</th>
              <th>{t('common.duration')}</th>
              <th>{t('common.reason')}</th>
              <th>{t('case.addedBy')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {clips.data.map((k) => (
              <tr key={k.id}>
                <td>{cameraNames.get(k.cameraId) ?? k.cameraId}</td>
                <td>{formatDateTime(k.startMs, tz)}</td>
                <td>{formatTime(k.endMs, tz)}</td>
                <td>{durationText(t, k.endMs - k.startMs)}</td>
                <td>
                  {k.reason}
                  <div class="muted small hold">{t('case.hold')}</div>
                </td>
                <td>{k.addedBy.username}</td>
                <td>
                  <div class="actions">
                  {s.can('playback.view') && <AppLink href={`/cameras/${encodeURIComponent(k.cameraId)}?at=${k.startMs}&zoom=hour`}>{t('case.watch')}</AppLink>}
                  {mayExport && open && exportsAvailable && <ExportForm caseBase={base} clip={k} onQueued={() => setExportsTick((n) => n + 1)} />}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {!mayExport && <p class="muted">{t('case.exportNoPermission')}</p>}
      <h2>{t('case.exports')}</h2>
      {!exportsAvailable ? (
        <Notice>{t('case.exportsUnavailable')}</Notice>
      ) : exports.loading && !exports.data ? (
        <Loading />
      ) : !exports.data ? (
        <ErrorBox error={exports.error} retry={exports.reload} />
      ) : exports.data.length === 0 ? (
        <Empty>{t('case.noExports')}</Empty>
      ) : (
        <ul class="exports" data-testid="exports">
          {exports.data.map((e) => (
            <ExportRow key={e.id} e={e} mayDownload={mayExport} cameraName={cameraNames.get(e.cameraId) ?? e.cameraId} />
          ))}
        </ul>
      )}
    </section>
  );
}

function ExportForm({ caseBase, clip, onQueued }: { caseBase: string; clip: CaseClip; onQueued(): void }) {
  const { t } = useI18n();
  const s = useSession();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState(clip.reason);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)} data-testid="export-open">
        {t('case.export')}
      </button>
    );
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setMessage(null);
    if (!reason.trim()) return setMessage(t('clip.reasonRequired'));
    setBusy(true);
    try {
      await s.api.post<ExportJob>(`${caseBase}/exports`, { cameraId: clip.cameraId, start: clip.start, end: clip.end, reason: reason.trim() });
      setOpen(false);
      onQueued();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="export-form" onSubmit={submit}>
      <label>
        {t('case.exportReason')}
        <input value={reason} onInput={(e) => setReason(e.currentTarget.value)} placeholder={t('case.exportReasonPlaceholder')} data-testid="export-reason" />
      </label>
      {message && <p class="form-error" role="alert">{message}</p>}
      {error !== null && <ErrorBox error={error} />}
      <button type="submit" class="primary" disabled={busy} data-testid="export-submit">
        {t('case.export')}
      </button>{' '}
      <button type="button" onClick={() => setOpen(false)}>
        {t('common.cancel')}
      </button>
    </form>
  );
}

function ExportRow({ e, mayDownload, cameraName }: { e: ExportJob; mayDownload: boolean; cameraName: string }) {
  const { t } = useI18n();
  const s = useSession();
  const tz = s.settings.timeZone;
  const percent = Math.round((e.progress ?? 0) * 100);
  const r = e.actualRange ?? e.askedRange;
  return (
    <li class={`export export-${e.status}`} data-export={e.id} data-status={e.status}>
      <div>
        <strong>{cameraName}</strong> {formatDateTime(r.startMs, tz)} – {formatTime(r.endMs, tz)} · {e.requestedBy.username} · <span class="muted">{e.reason}</span>
      </div>
      {e.status === 'queued' && <div role="status">{t('case.exportQueued')}</div>}
      {e.status === 'running' && (
        <div role="status">
          <progress max={100} value={percent} aria-label={t('case.exportRunning', { percent })} /> {t('case.exportRunning', { percent })}
        </div>
      )}
      {e.status === 'failed' && <div class="form-error" role="alert">{t('case.exportFailed', { error: e.error ?? '?' })}</div>}
      {e.status === 'done' && (
        <div>
          <span class="badge badge-ok">{t('case.exportDone')}</span>{' '}
          {mayDownload && e.links.package && (
            <a class="button primary" href={e.links.package} download data-testid="export-download">
              {t('case.download')}
            </a>
          )}
          {e.sizeBytes !== null && <span class="muted small"> {(e.sizeBytes / 1048576).toFixed(1)} MiB</span>}
          {e.packageSha256 && <div class="muted small mono">{t('case.sha256', { sha: e.packageSha256 })}</div>}
          <div class="muted small">{t('case.verifyHelp', { fingerprint: e.keyFingerprint ?? '?' })}</div>
        </div>
      )}
    </li>
  );
}

function CloseReopen({ caseBase, open, onDone }: { caseBase: string; open: boolean; onDone(): void }) {
  const { t } = useI18n();
  const s = useSession();
  const [error, setError] = useState<unknown>(null);
  const run = async () => {
    setError(null);
    try {
      await s.api.post(open ? `${caseBase}/close` : `${caseBase}/reopen`, open ? { releaseHolds: false } : undefined);
      onDone();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div class="case-actions">
      <button type="button" onClick={() => void run()} data-testid={open ? 'case-close' : 'case-reopen'}>
        {open ? t('case.close') : t('case.reopen')}
      </button>
      {open && <span class="muted small"> {t('case.closeHelp')}</span>}
      {error !== null && <ErrorBox error={error} />}
    </div>
  );
}
