import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { ApiClient, ApiProblem } from './api-client.ts';
import type { Me, Permission } from './api-types.ts';
import { SessionContext, type Session } from './app-context.ts';
import { I18nContext, initialLang, saveLang, translator, type Lang } from './i18n.ts';
import { Loading, ErrorBox } from './components/status.tsx';
import { LoginPage } from './pages/login-page.tsx';
import { Shell } from './shell.tsx';
import type { UiSettings } from './settings.ts';

/**
 * The application: language, then the session (GET /api/v1/me decides logged in or not; the
 * API's route list tells which screens this server offers), then the shell and its pages.
 */
type Phase = { kind: 'checking' } | { kind: 'anonymous'; ended: boolean } | { kind: 'ready'; me: Me } | { kind: 'failed'; error: unknown };

async function loadRoutes(): Promise<Set<string>> {
  try {
    const res = await fetch('/api/openapi.json', { credentials: 'same-origin' });
    if (!res.ok) return new Set();
    const doc = (await res.json()) as { paths?: Record<string, Record<string, unknown>> };
    const out = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths ?? {})) for (const m of Object.keys(ops)) out.add(`${m.toUpperCase()} ${path}`);
    return out;
  } catch {
    return new Set();
  }
}

export function App({ settings }: { settings: UiSettings }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const i18n = useMemo(() => ({ lang, t: translator(lang), setLang: (l: Lang) => (saveLang(l), setLangState(l)) }), [lang]);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const api = useMemo(() => new ApiClient(), []);
  // No session cookie came with the page: the login form at once, no 401 to begin with.
  const [phase, setPhase] = useState<Phase>(settings.session ? { kind: 'checking' } : { kind: 'anonymous', ended: false });
  const [routes, setRoutes] = useState<ReadonlySet<string>>(new Set());

  const check = useCallback(async () => {
    setPhase({ kind: 'checking' });
    try {
      const [me, r] = await Promise.all([api.request<Me>('GET', '/api/v1/me', undefined, { expectSession: false }), loadRoutes()]);
      api.csrfToken = me.csrfToken;
      setRoutes(r);
      setPhase({ kind: 'ready', me });
    } catch (e) {
      if (e instanceof ApiProblem && e.status === 401) setPhase({ kind: 'anonymous', ended: false });
      else setPhase({ kind: 'failed', error: e });
    }
  }, [api]);

  useEffect(() => {
    api.onSessionEnded = () => setPhase((p) => (p.kind === 'ready' ? { kind: 'anonymous', ended: true } : p));
    if (settings.session) void check();
  }, [api, check, settings.session]);

  const session = useMemo<Session | null>(() => {
    if (phase.kind !== 'ready') return null;
    const perms = new Set<Permission>(phase.me.permissions);
    return {
      api,
      me: phase.me,
      settings,
      routes,
      can: (p) => perms.has(p),
      has: (r) => routes.has(r),
    };
  }, [phase, api, settings, routes]);

  let body;
  if (phase.kind === 'checking') body = <main class="boot"><Loading /></main>;
  else if (phase.kind === 'failed') body = <main class="boot"><ErrorBox error={phase.error} retry={() => void check()} /></main>;
  else if (phase.kind === 'anonymous' || !session)
    body = (
      <LoginPage
        api={api}
        sessionEnded={phase.kind === 'anonymous' && phase.ended}
        onLoggedIn={async (me) => {
          api.csrfToken = me.csrfToken;
          setRoutes(await loadRoutes());
          setPhase({ kind: 'ready', me });
        }}
      />
    );
  else
    body = (
      <SessionContext.Provider value={session}>
        <Shell
          onLogout={async () => {
            try {
              await api.post('/api/v1/auth/logout');
            } finally {
              api.csrfToken = undefined;
              setPhase({ kind: 'anonymous', ended: false });
            }
          }}
        />
      </SessionContext.Provider>
    );
  return <I18nContext.Provider value={i18n}>{body}</I18nContext.Provider>;
}
