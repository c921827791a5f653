import { useSession } from '../app-context.ts';
import { findRoute } from '../feature-routes.ts';
import { useI18n } from '../i18n.ts';
import { useLoad } from '../use-load.ts';
import { ErrorBox, Loading, Notice } from '../components/status.tsx';

/**
 * Retention settings, read-only. The API has no route for them yet; the page says where they
 * are set and how to see what retention would remove, and shows them when a route appears.
 */
export function RetentionPage() {
  const { t } = useI18n();
  const s = useSession();
  const route = findRoute(s, 'GET', /^\/api\/v1\/(retention|settings\/retention)$/);
  const loaded = useLoad(async (signal) => (route ? s.api.get<Record<string, unknown>>(route, signal) : null), [route]);
  return (
    <section class="narrow">
      <h1>{t('retention.title')}</h1>
      {!route ? (
        <Notice>{t('retention.unavailable')}</Notice>
      ) : loaded.loading ? (
        <Loading />
      ) : !loaded.data ? (
        <ErrorBox error={loaded.error} retry={loaded.reload} />
      ) : (
        <dl class="facts">
          {Object.entries(loaded.data).map(([k, v]) => (
            <div key={k}>
              <dt>{k === 'days' ? t('retention.days') : k}</dt>
              <dd class="mono">{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>
            </div>
          ))}
        </dl>
      )}
      <p>{t('retention.holds')}</p>
    </section>
  );
}
