import { useEffect, useState } from 'preact/hooks';
import type { RetentionSettings, RetentionValue } from '../api-types.ts';
import { useSession } from '../app-context.ts';
import { findRoute } from '../feature-routes.ts';
import { useI18n, type T } from '../i18n.ts';
import { boxesFrom, gbText, retentionBody, type RetentionBoxes } from '../retention-form.ts';
import { useLoad } from '../use-load.ts';
import { Empty, ErrorBox, Loading, Notice } from '../components/status.tsx';
import { scheduleText } from '../schedule-text.ts';

/**
 * Retention settings (admins, retention.manage): days kept by default, per site and per camera,
 * and storage quotas, each with where its value comes from. Saved values live in the index
 * database (GET/PUT /api/v1/admin/retention) and count from the next retention run.
 */
export function RetentionPage() {
  const { t } = useI18n();
  const s = useSession();
  const route = s.can('retention.manage') ? findRoute(s, 'GET', /^\/api\/v1\/admin\/retention$/) : undefined;
  const loaded = useLoad(async (signal) => (route ? s.api.get<RetentionSettings>(route, signal) : null), [route]);
  const [view, setView] = useState<RetentionSettings | null>(null);
  const [boxes, setBoxes] = useState<RetentionBoxes | null>(null);
  const [wrong, setWrong] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (loaded.data) {
      setView(loaded.data);
      setBoxes(boxesFrom(loaded.data));
    }
  }, [loaded.data]);
  if (!s.can('retention.manage')) return <Notice kind="warn">{t('retention.noPermission')}</Notice>;
  if (!route) return <Notice>{t('retention.unavailable')}</Notice>;
  if (loaded.loading && !view) return <Loading />;
  if (!view || !boxes) return <ErrorBox error={loaded.error} retry={loaded.reload} />;

  const save = async (e: Event) => {
    e.preventDefault();
    setSaved(false);
    setError(null);
    const built = retentionBody(boxes, boxesFrom(view));
    if ('errors' in built) return setWrong(built.errors);
    setWrong([]);
    setBusy(true);
    try {
      const after = await s.api.request<RetentionSettings>('PUT', '/api/v1/admin/retention', built.body);
      setView(after);
      setBoxes(boxesFrom(after));
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const siteName = (id: string) => view.sites.find((x) => x.id === id)?.name ?? id;
  const box = (key: string, label: string, value: string, onInput: (v: string) => void, kind: 'days' | 'quota', current: RetentionValue) => {
    const bad = wrong.includes(key);
    const id = `ret-${key.replace(/[^a-z0-9-]/gi, '-')}`;
    return (
      <div class="ret-box">
        <input
          id={id}
          aria-label={label}
          value={value}
          inputMode={kind === 'days' ? 'numeric' : 'decimal'}
          placeholder={current.effective === null ? '' : kind === 'days' ? String(current.effective) : gbText(current.effective)}
          onInput={(e) => {
            onInput(e.currentTarget.value);
            setSaved(false);
          }}
          data-testid={id}
          {...(bad ? { 'aria-invalid': true, 'aria-describedby': `${id}-error` } : {})}
        />
        {bad && (
          <span class="form-error" id={`${id}-error`}>
            {t(kind === 'days' ? 'retention.badDays' : 'retention.badQuota')}
          </span>
        )}
        <div class="muted small" data-testid={`${id}-source`}>{sourceText(t, current, kind, siteName)}</div>
      </div>
    );
  };
  return (
    <section>
      <div class="page-head">
        <h1>{t('retention.title')}</h1>
        <p class="muted">{t('retention.intro', { schedule: scheduleText(t, view.schedule), zone: view.timeZone })}</p>
      </div>
      <form onSubmit={(e) => void save(e)} aria-label={t('retention.title')}>
        <section class="card" aria-labelledby="ret-default">
          <h2 id="ret-default">{t('retention.default')}</h2>
          <div class="form-grid">
            <label>
              {t('retention.days')}
              {box('days', t('retention.days'), boxes.days, (v) => setBoxes({ ...boxes, days: v }), 'days', view.default.days)}
            </label>
            <label>
              {t('retention.quota')}
              {box('quotaGb', t('retention.quota'), boxes.quotaGb, (v) => setBoxes({ ...boxes, quotaGb: v }), 'quota', view.default.quotaBytes)}
            </label>
          </div>
        </section>
        <section class="card" aria-labelledby="ret-sites">
          <h2 id="ret-sites">{t('retention.sites')}</h2>
          {view.sites.length === 0 ? (
            <Empty>{t('retention.noSites')}</Empty>
          ) : (
            <table class="table" data-testid="ret-sites">
              <thead>
                <tr>
                  <th>{t('common.site')}</th>
                  <th>{t('retention.days')}</th>
                  <th>{t('retention.quota')}</th>
                </tr>
              </thead>
              <tbody>
                {view.sites.map((x) => (
                  <tr key={x.id} data-site={x.id}>
                    <td>{x.name}</td>
                    <td>{box(`site:${x.id}:days`, `${t('retention.days')}: ${x.name}`, boxes.sites[x.id]?.days ?? '', (v) => setBoxes({ ...boxes, sites: { ...boxes.sites, [x.id]: { quotaGb: boxes.sites[x.id]?.quotaGb ?? '', days: v } } }), 'days', x.days)}</td>
                    <td>{box(`site:${x.id}:quotaGb`, `${t('retention.quota')}: ${x.name}`, boxes.sites[x.id]?.quotaGb ?? '', (v) => setBoxes({ ...boxes, sites: { ...boxes.sites, [x.id]: { days: boxes.sites[x.id]?.days ?? '', quotaGb: v } } }), 'quota', x.quotaBytes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section class="card" aria-labelledby="ret-cameras">
          <h2 id="ret-cameras">{t('retention.cameras')}</h2>
          {view.cameras.length === 0 ? (
            <Empty>{t('retention.noCameras')}</Empty>
          ) : (
            <table class="table" data-testid="ret-cameras">
              <thead>
                <tr>
                  <th>{t('common.camera')}</th>
                  <th>{t('common.site')}</th>
                  <th>{t('retention.days')}</th>
                </tr>
              </thead>
              <tbody>
                {view.cameras.map((c) => (
                  <tr key={c.id} data-camera={c.id}>
                    <td>
                      {c.name} <span class="muted mono small">{c.id}</span>
                    </td>
                    <td>{c.site ? siteName(c.site) : t('common.noSite')}</td>
                    <td>{box(`camera:${c.id}:days`, `${t('retention.days')}: ${c.name}`, boxes.cameras[c.id]?.days ?? '', (v) => setBoxes({ ...boxes, cameras: { ...boxes.cameras, [c.id]: { days: v } } }), 'days', c.days)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        {wrong.length > 0 && <p class="form-error" role="alert">{t('retention.fixErrors')}</p>}
        {error !== null && <ErrorBox error={error} />}
        {saved && <Notice kind="ok">{t('retention.saved')}</Notice>}
        {busy && <Loading text={t('retention.saving')} />}
        <button type="submit" class="primary" disabled={busy} data-testid="ret-save">
          {t('retention.save')}
        </button>
      </form>
      <p>{t('retention.holds')}</p>
    </section>
  );
}

function sourceText(t: T, v: RetentionValue, kind: 'days' | 'quota', siteName: (id: string) => string): string {
  const value = v.effective === null ? '' : kind === 'days' ? t('retention.daysValue', { days: v.effective }) : t('retention.gbValue', { gb: gbText(v.effective) });
  const where =
    v.source === 'saved'
      ? t('retention.src.saved')
      : v.source === 'config'
        ? t('retention.src.config')
        : v.source === 'inherited'
          ? v.from === 'default' || v.from === undefined
            ? t('retention.src.inheritedDefault')
            : t('retention.src.inheritedSite', { site: siteName(v.from) })
          : t('retention.src.none');
  return value ? `${t('retention.source')}: ${value} · ${where}` : where;
}
