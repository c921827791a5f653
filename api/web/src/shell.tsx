import { useEffect, useRef } from 'preact/hooks';
import type { Permission } from './api-types.ts';
import { useSession } from './app-context.ts';
import { useI18n, type MessageKey } from './i18n.ts';
import { matchPath, navigate, useRoute } from './router.ts';
import { AppLink } from './components/app-link.tsx';
import { LangSwitch } from './components/lang-switch.tsx';
import { GridPage } from './pages/grid-page.tsx';
import { CameraPage } from './pages/camera-page.tsx';
import { FindPage } from './pages/find-page.tsx';
import { CasesPage } from './pages/cases-page.tsx';
import { CasePage } from './pages/case-page.tsx';
import { OpsPage } from './pages/ops-page.tsx';
import { UsersPage } from './pages/users-page.tsx';
import { AdminCamerasPage } from './pages/admin-cameras-page.tsx';
import { RetentionPage } from './pages/retention-page.tsx';

/** Header (menu by permission, who is logged in, language, log out) and the routed page. */
interface NavItem {
  href: string;
  label: MessageKey;
  permission: Permission;
  /** Paths that light this item up. */
  prefix: string[];
}

const NAV: NavItem[] = [
  { href: '/', label: 'nav.cameras', permission: 'cameras.view', prefix: ['/', '/cameras'] },
  { href: '/find', label: 'nav.find', permission: 'playback.view', prefix: ['/find'] },
  { href: '/cases', label: 'nav.cases', permission: 'cases.view', prefix: ['/cases'] },
  { href: '/ops', label: 'nav.ops', permission: 'events.view', prefix: ['/ops'] },
  { href: '/admin/users', label: 'nav.users', permission: 'users.manage', prefix: ['/admin/users'] },
  { href: '/admin/cameras', label: 'nav.adminCameras', permission: 'events.view', prefix: ['/admin/cameras'] },
  { href: '/admin/retention', label: 'nav.retention', permission: 'retention.manage', prefix: ['/admin/retention'] },
];

function isActive(item: NavItem, path: string): boolean {
  return item.prefix.some((p) => (p === '/' ? path === '/' : path === p || path.startsWith(`${p}/`)));
}

export function Shell({ onLogout }: { onLogout: () => void }) {
  const { t } = useI18n();
  const s = useSession();
  const route = useRoute();
  const mainRef = useRef<HTMLElement>(null);
  const items = NAV.filter((n) => s.can(n.permission));

  // Ops staff see no pictures: their home is the ops page.
  useEffect(() => {
    if (route.path === '/' && !s.can('live.view') && s.can('events.view')) navigate('/ops', { replace: true });
  }, [route.path, s]);
  // After a page change, move keyboard focus to the page (screen readers announce it).
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    mainRef.current?.focus({ preventScroll: true });
  }, [route.path]);

  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        {t('nav.skip')}
      </a>
      <header class="topbar">
        <AppLink href="/" class="brand">
          <img src="/favicon.svg" alt="" width={26} height={26} />
          <span class="brand-name">{t('app.name')}</span>
        </AppLink>
        <nav aria-label={t('nav.main')}>
          <ul>
            {items.map((n) => (
              <li key={n.href}>
                <AppLink href={n.href} aria-current={isActive(n, route.path) ? 'page' : undefined}>
                  {t(n.label)}
                </AppLink>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span class="who-name" data-testid="who">
            {s.me.user.displayName}
            <span class="muted"> · {t(`role.${s.me.user.role}`)}</span>
          </span>
          <LangSwitch />
          <button type="button" onClick={onLogout}>
            {t('nav.logout')}
          </button>
        </div>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1}>
        <Page path={route.path} query={route.query} />
      </main>
    </div>
  );
}

function Page({ path, query }: { path: string; query: URLSearchParams }) {
  const { t } = useI18n();
  let m: Record<string, string> | null;
  if (path === '/') return <GridPage />;
  if ((m = matchPath('/cameras/:id', path))) return <CameraPage key={m.id} cameraId={m.id!} query={query} />;
  if (path === '/find') return <FindPage />;
  if (path === '/cases') return <CasesPage />;
  if ((m = matchPath('/cases/:id', path))) return <CasePage key={m.id} caseId={m.id!} />;
  if (path === '/ops') return <OpsPage />;
  if (path === '/admin/users') return <UsersPage />;
  if (path === '/admin/cameras') return <AdminCamerasPage />;
  if (path === '/admin/retention') return <RetentionPage />;
  return (
    <section>
      <h1>{t('error.notFound')}</h1>
      <p>
        <AppLink href="/">{t('camera.back')}</AppLink>
      </p>
    </section>
  );
}
