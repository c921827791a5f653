import { useState } from 'preact/hooks';
import { ApiProblem, query } from '../api-client.ts';
import type { Case, Site } from '../api-types.ts';
import { useSession } from '../app-context.ts';
import { ROUTES } from '../feature-routes.ts';
import { useI18n } from '../i18n.ts';
import { navigate } from '../router.ts';
import { formatDateTime } from '../time-format.ts';
import { useLoad } from '../use-load.ts';
import { indentedSiteName } from '../site-label.ts';
import { AppLink } from '../components/app-link.tsx';
import { Empty, ErrorBox, Loading, Notice } from '../components/status.tsx';

/** Complaint cases of the caller's sites, newest first, and a form to open one. */
export function CasesPage() {
  const { t } = useI18n();
  const s = useSession();
  const tz = s.settings.timeZone;
  const available = ROUTES.cases(s) !== undefined;
  const [status, setStatus] = useState<'' | 'open' | 'closed'>('open');
  const [reference, setReference] = useState('');
  const loaded = useLoad(
    async (signal) => (available ? (await s.api.get<{ cases: Case[] }>(`/api/v1/cases${query({ status: status || undefined, reference: reference.trim() || undefined })}`, signal)).cases : []),
    [available, status, reference],
  );
  if (!s.can('cases.view')) return <Notice kind="warn">{t('cases.noPermission')}</Notice>;
  if (!available) return <section><h1>{t('cases.title')}</h1><Notice>{t('cases.unavailable')}</Notice></section>;
  return (
    <section>
      <div class="page-head">
        <h1>{t('cases.title')}</h1>
      </div>
      {s.can('cases.edit') && <NewCase />}
      <div class="filters">
        <label class="inline">
          {t('cases.status')}{' '}
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value as '' | 'open' | 'closed')} data-testid="cases-status">
            <option value="open">{t('cases.open')}</option>
            <option value="closed">{t('cases.closed')}</option>
            <option value="">{t('cases.all')}</option>
          </select>
        </label>
        <label class="inline">
          {t('cases.reference')} <input value={reference} onInput={(e) => setReference(e.currentTarget.value)} placeholder={t('cases.referencePlaceholder')} />
        </label>
      </div>
      {loaded.loading ? (
        <Loading />
      ) : !loaded.data ? (
        <ErrorBox error={loaded.error} retry={loaded.reload} />
      ) : loaded.data.length === 0 ? (
        <Empty>{t('cases.empty')}</Empty>
      ) : (
        <table class="table" data-testid="cases-table">
          <thead>
            <tr>
              <th>{t('cases.reference')}</th>
              <th>{t('cases.titleField')}</th>
              <th>{t('common.site')}</th>
              <th>{t('cases.status')}</th>
              <th>{t('cases.created')}</th>
              <th>{t('cases.createdBy')}</th>
            </tr>
          </thead>
          <tbody>
            {loaded.data.map((c) => (
              <tr key={c.id}>
                <td>
                  <AppLink href={`/cases/${encodeURIComponent(c.id)}`}>{c.reference}</AppLink>
                </td>
                <td>{c.title}</td>
                <td>{c.site?.name ?? t('common.noSite')}</td>
                <td>{c.status === 'open' ? t('cases.open') : t('cases.closed')}</td>
                <td>{formatDateTime(c.createdMs, tz)}</td>
                <td>{c.createdBy.username}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function NewCase() {
  const { t } = useI18n();
  const s = useSession();
  const sites = useLoad((signal) => s.api.get<{ sites: Site[] }>('/api/v1/sites', signal), []);
  const [open, setOpen] = useState(false);
  const [reference, setReference] = useState('');
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [site, setSite] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (!open)
    return (
      <p>
        <button type="button" class="primary" onClick={() => setOpen(true)} data-testid="new-case">
          {t('cases.new')}
        </button>
      </p>
    );
  const submit = async (e: Event) => {
    e.preventDefault();
    setMessage(null);
    setError(null);
    if (!reference.trim() || !title.trim()) return setMessage(t('cases.needReference'));
    setBusy(true);
    try {
      const c = await s.api.post<Case>('/api/v1/cases', { reference: reference.trim(), title: title.trim(), description, ...(site ? { site } : {}) });
      navigate(`/cases/${encodeURIComponent(c.id)}`);
    } catch (err) {
      setError(err instanceof ApiProblem ? err : err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card form-grid" onSubmit={submit}>
      <label>
        {t('cases.reference')}
        <input value={reference} onInput={(e) => setReference(e.currentTarget.value)} placeholder={t('cases.referencePlaceholder')} />
      </label>
      <label>
        {t('cases.titleField')}
        <input value={title} onInput={(e) => setTitle(e.currentTarget.value)} placeholder={t('cases.titlePlaceholder')} />
      </label>
      <label>
        {t('common.site')}
        <select value={site} onChange={(e) => setSite(e.currentTarget.value)}>
          <option value="">{t('common.noSite')}</option>
          {(sites.data?.sites ?? []).map((x) => (
            <option key={x.id} value={x.id}>
              {indentedSiteName(x)}
            </option>
          ))}
        </select>
      </label>
      <label class="wide">
        {t('cases.description')}
        <textarea rows={2} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </label>
      {message && <p class="form-error wide" role="alert">{message}</p>}
      {error !== null && <div class="wide"><ErrorBox error={error} /></div>}
      <div class="wide">
        <button type="submit" class="primary" disabled={busy}>
          {t('cases.create')}
        </button>{' '}
        <button type="button" onClick={() => setOpen(false)}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
