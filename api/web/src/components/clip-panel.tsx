import { useEffect, useState } from 'preact/hooks';
import type { Camera, Case } from '../api-types.ts';
import { useSession } from '../app-context.ts';
import { fillPath, ROUTES } from '../feature-routes.ts';
import { useI18n, durationText } from '../i18n.ts';
import { rangeQuery } from '../range-query.ts';
import { formatDate, formatDateTime, formatTime, isoInZone, parseDateTimeText } from '../time-format.ts';
import { useLoad } from '../use-load.ts';
import { AppLink } from './app-link.tsx';
import { ErrorBox, Notice } from './status.tsx';

/**
 * The complaint handler's panel beside the player: mark in and out at the instant shown (or
 * type the times), then add the clip to a case with a reason (a new case can be opened on
 * the spot), or download it as MP4. Only for accounts that may cut clips and edit cases;
 * others are told why they see no buttons.
 */
export const MAX_CASE_CLIP_MS = 3_600_000;

export interface ClipPanelProps {
  camera: Camera;
  cursorMs: number | null;
  markInMs: number | null;
  markOutMs: number | null;
  setMarkIn(ms: number | null): void;
  setMarkOut(ms: number | null): void;
}

export function ClipPanel(p: ClipPanelProps) {
  const { t } = useI18n();
  const s = useSession();
  const tz = s.settings.timeZone;
  const mayCut = s.can('clips.create') && s.can('cases.edit');
  const casesRoute = ROUTES.cases(s);
  const clipRoute = ROUTES.clip(s);
  if (!mayCut) {
    return (
      <aside class="clip-panel" aria-labelledby="clip-title">
        <h2 id="clip-title">{t('clip.title')}</h2>
        <p class="muted">{t('clip.noCasesPermission')}</p>
      </aside>
    );
  }
  const valid = p.markInMs !== null && p.markOutMs !== null && p.markOutMs > p.markInMs;
  const tooLong = valid && p.markOutMs! - p.markInMs! > MAX_CASE_CLIP_MS;
  const downloadHref =
    valid && !tooLong && clipRoute ? `${fillPath(clipRoute, { id: p.camera.id })}?${rangeQuery(p.markInMs!, p.markOutMs!, tz)}&download=true` : null;

  return (
    <aside class="clip-panel" aria-labelledby="clip-title">
      <h2 id="clip-title">{t('clip.title')}</h2>
      <p class="muted small">{t('clip.help')}</p>
      <MarkRow label={t('clip.markIn')} which="in" ms={p.markInMs} cursorMs={p.cursorMs} set={p.setMarkIn} tz={tz} />
      <MarkRow label={t('clip.markOut')} which="out" ms={p.markOutMs} cursorMs={p.cursorMs} set={p.setMarkOut} tz={tz} />
      {p.markInMs !== null && p.markOutMs !== null && !valid && <p class="form-error" role="alert">{t('clip.invalid')}</p>}
      {valid && <p data-testid="clip-length">{t('clip.length', { duration: durationText(t, p.markOutMs! - p.markInMs!) })}</p>}
      {tooLong && <p class="form-error" role="alert">{t('clip.tooLong', { minutes: MAX_CASE_CLIP_MS / 60_000 })}</p>}
      {downloadHref && (
        <p>
          <a class="button" href={downloadHref} download data-testid="clip-download">
            {t('clip.download')}
          </a>
        </p>
      )}
      {casesRoute ? <AddToCase camera={p.camera} startMs={valid && !tooLong ? p.markInMs : null} endMs={valid && !tooLong ? p.markOutMs : null} /> : <p class="muted">{t('clip.casesUnavailable')}</p>}
    </aside>
  );
}

function MarkRow({ label, which, ms, cursorMs, set, tz }: { label: string; which: 'in' | 'out'; ms: number | null; cursorMs: number | null; set(ms: number | null): void; tz: string }) {
  const { t } = useI18n();
  const [text, setText] = useState(ms === null ? '' : formatTime(ms, tz));
  useEffect(() => setText(ms === null ? '' : formatTime(ms, tz)), [ms, tz]);
  const baseDay = ms ?? cursorMs;
  return (
    <div class="mark-row">
      <button type="button" onClick={() => cursorMs !== null && set(Math.floor(cursorMs / 1000) * 1000)} disabled={cursorMs === null} data-testid={`mark-${which}`}>
        {label}
      </button>
      <input
        class="time-text"
        inputMode="numeric"
        placeholder="HH:mm:ss"
        aria-label={which === 'in' ? t('timeline.markIn') : t('timeline.markOut')}
        value={text}
        disabled={baseDay === null}
        onChange={(e) => {
          const v = e.currentTarget.value;
          setText(v);
          if (baseDay !== null) set(parseDateTimeText(formatDate(baseDay, tz), v, tz));
        }}
        data-testid={`mark-${which}-time`}
      />
      <span class="muted small">{ms === null ? t('clip.notSet') : formatDateTime(ms, tz)}</span>
    </div>
  );
}

function AddToCase({ camera, startMs, endMs }: { camera: Camera; startMs: number | null; endMs: number | null }) {
  const { t } = useI18n();
  const s = useSession();
  const tz = s.settings.timeZone;
  const cases = useLoad((signal) => s.api.get<{ cases: Case[] }>('/api/v1/cases?status=open', signal), []);
  const [caseId, setCaseId] = useState('');
  const [reference, setReference] = useState('');
  const [title, setTitle] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [added, setAdded] = useState<Case | null>(null);
  const usable = (cases.data?.cases ?? []).filter((c) => c.site === null || camera.site === null || c.site.id === camera.site.id);

  const submit = async (e: Event) => {
    e.preventDefault();
    setMessage(null);
    setError(null);
    setAdded(null);
    if (startMs === null || endMs === null) return;
    if (!caseId) return setMessage(t('clip.pickCase'));
    if (caseId === 'new' && (!reference.trim() || !title.trim())) return setMessage(t('cases.needReference'));
    if (!reason.trim()) return setMessage(t('clip.reasonRequired'));
    setBusy(true);
    try {
      let kase = usable.find((c) => c.id === caseId);
      if (caseId === 'new') {
        kase = await s.api.post<Case>('/api/v1/cases', { reference: reference.trim(), title: title.trim(), ...(camera.site ? { site: camera.site.id } : {}) });
        cases.reload();
        setCaseId(kase.id);
      }
      await s.api.post(`/api/v1/cases/${encodeURIComponent(kase!.id)}/clips`, { cameraId: camera.id, start: isoInZone(startMs, tz), end: isoInZone(endMs, tz), reason: reason.trim() });
      setAdded(kase!);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="add-to-case" onSubmit={submit}>
      <label>
        {t('clip.case')}
        <select value={caseId} onChange={(e) => setCaseId(e.currentTarget.value)} data-testid="case-select">
          <option value="">{cases.loading ? t('common.loading') : t('clip.pickCase')}</option>
          {usable.map((c) => (
            <option key={c.id} value={c.id}>
              {c.reference} — {c.title}
            </option>
          ))}
          <option value="new">{t('clip.newCase')}</option>
        </select>
      </label>
      {cases.error !== undefined && <ErrorBox error={cases.error} retry={cases.reload} />}
      {caseId === 'new' && (
        <div class="new-case">
          <label>
            {t('cases.reference')}
            <input value={reference} onInput={(e) => setReference(e.currentTarget.value)} placeholder={t('cases.referencePlaceholder')} data-testid="new-case-reference" />
          </label>
          <label>
            {t('cases.titleField')}
            <input value={title} onInput={(e) => setTitle(e.currentTarget.value)} placeholder={t('cases.titlePlaceholder')} data-testid="new-case-title" />
          </label>
        </div>
      )}
      <label>
        {t('common.reason')}
        <textarea rows={2} value={reason} onInput={(e) => setReason(e.currentTarget.value)} placeholder={t('clip.reasonPlaceholder')} data-testid="clip-reason" />
      </label>
      {message && <p class="form-error" role="alert">{message}</p>}
      {error !== null && <ErrorBox error={error} />}
      <button type="submit" class="primary" disabled={busy || startMs === null || endMs === null} data-testid="add-to-case">
        {t('clip.addToCase')}
      </button>
      {added && (
        <Notice kind="ok">
          {t('clip.added', { reference: added.reference })} <AppLink href={`/cases/${encodeURIComponent(added.id)}`}>{t('clip.openCase', { reference: added.reference })}</AppLink>
        </Notice>
      )}
    </form>
  );
}
