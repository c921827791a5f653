import { useMemo, useState } from 'preact/hooks';
import type { Camera, Site } from '../api-types.ts';
import { useSession } from '../app-context.ts';
import { useI18n } from '../i18n.ts';
import { navigate } from '../router.ts';
import { formatDate, parseDateTimeText } from '../time-format.ts';
import { useLoad } from '../use-load.ts';
import { indentedSiteName } from '../site-label.ts';
import { Empty, ErrorBox, Loading } from '../components/status.tsx';

/**
 * The complaint flow's first step: the site, the counter's camera, the date and time the
 * citizen gave → the camera page playing from that instant, ready to mark in and out.
 */
export function FindPage() {
  const { t } = useI18n();
  const s = useSession();
  const tz = s.settings.timeZone;
  const loaded = useLoad(async (signal) => {
    const [cams, sites] = await Promise.all([s.api.get<{ cameras: Camera[] }>('/api/v1/cameras', signal), s.api.get<{ sites: Site[] }>('/api/v1/sites', signal)]);
    return { cameras: cams.cameras, sites: sites.sites };
  }, []);
  const [siteId, setSiteId] = useState<string>('');
  const [cameraId, setCameraId] = useState('');
  const [date, setDate] = useState(formatDate(Date.now(), tz));
  const [time, setTime] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const data = loaded.data;
  const siteOptions = useMemo(() => {
    if (!data) return [];
    const opts = data.sites.filter((x) => data.cameras.some((c) => c.site?.id === x.id) || x.cameras > 0).map((x) => ({ id: x.id, label: indentedSiteName(x) }));
    if (data.cameras.some((c) => !c.site)) opts.push({ id: '-', label: t('common.noSite') });
    return opts;
  }, [data, t]);
  const cams = data ? data.cameras.filter((c) => (siteId === '-' ? !c.site : c.site?.id === siteId)) : [];

  const submit = (e: Event) => {
    e.preventDefault();
    setMessage(null);
    if (!cameraId) return setMessage(t('find.needCamera'));
    const ms = time.trim() ? parseDateTimeText(date, time, tz) : null;
    if (ms === null) return setMessage(t('find.invalidTime'));
    if (ms > Date.now()) return setMessage(t('find.future'));
    navigate(`/cameras/${encodeURIComponent(cameraId)}?at=${ms}&zoom=hour`);
  };

  if (loaded.loading) return <Loading />;
  if (!data) return <ErrorBox error={loaded.error} retry={loaded.reload} />;
  return (
    <section class="narrow">
      <h1>{t('find.title')}</h1>
      <p class="muted">{t('find.intro')}</p>
      {data.cameras.length === 0 ? (
        <Empty>{t('grid.empty')}</Empty>
      ) : (
        <form class="find-form" onSubmit={submit}>
          <fieldset>
            <legend>{t('find.step1')}</legend>
            <select
              value={siteId}
              onChange={(e) => {
                setSiteId(e.currentTarget.value);
                setCameraId('');
              }}
              aria-label={t('find.step1')}
              data-testid="find-site"
            >
              <option value="">{t('find.pickSite')}</option>
              {siteOptions.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.label}
                </option>
              ))}
            </select>
          </fieldset>
          <fieldset disabled={!siteId}>
            <legend>{t('find.step2')}</legend>
            {siteId && cams.length === 0 ? (
              <p class="muted">{t('find.noCameras')}</p>
            ) : (
              <select value={cameraId} onChange={(e) => setCameraId(e.currentTarget.value)} aria-label={t('find.step2')} data-testid="find-camera">
                <option value="">{t('find.pickCamera')}</option>
                {cams.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
            )}
          </fieldset>
          <fieldset>
            <legend>{t('find.step3')}</legend>
            <label class="inline">
              {t('common.date')} <input class="date-text" inputMode="numeric" placeholder="dd/mm/yyyy" value={date} onInput={(e) => setDate(e.currentTarget.value)} data-testid="find-date" />
            </label>
            <label class="inline">
              {t('common.time')} <input class="time-text" inputMode="numeric" placeholder="HH:mm:ss" value={time} onInput={(e) => setTime(e.currentTarget.value)} data-testid="find-time" />
            </label>
            <p class="muted small">{t('common.timeZone', { zone: tz })}</p>
          </fieldset>
          {message && <p class="form-error" role="alert">{message}</p>}
          <button type="submit" class="primary" data-testid="find-submit">
            {t('find.submit')}
          </button>
        </form>
      )}
    </section>
  );
}
