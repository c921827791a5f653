import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiProblem, type ApiClient } from '../api-client.ts';
import type { Me } from '../api-types.ts';
import { useI18n } from '../i18n.ts';
import { ErrorBox, Notice } from '../components/status.tsx';
import { LangSwitch } from '../components/lang-switch.tsx';

/** Username and password; plain-words answers for a wrong password and a lock-out. */
export function LoginPage({ api, sessionEnded, onLoggedIn }: { api: ApiClient; sessionEnded: boolean; onLoggedIn: (me: Me) => void | Promise<void> }) {
  const { t } = useI18n();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const userRef = useRef<HTMLInputElement>(null);
  useEffect(() => userRef.current?.focus(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setMessage(null);
    setError(null);
    if (!username.trim() || !password) {
      setMessage(t('login.missing'));
      return;
    }
    setBusy(true);
    try {
      const me = await api.request<Me>('POST', '/api/v1/auth/login', { username: username.trim(), password }, { expectSession: false });
      await onLoggedIn(me);
    } catch (err) {
      if (err instanceof ApiProblem && err.status === 401) setMessage(t('login.wrong'));
      else if (err instanceof ApiProblem && err.status === 429) setMessage(t('login.locked', { seconds: Number(err.body?.retryAfterSeconds ?? 60) }));
      else setError(err);
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login" id="main">
      <div class="login-lang">
        <LangSwitch />
      </div>
      <form class="login-card" onSubmit={submit} aria-labelledby="login-title" noValidate>
        <div class="brand brand-large">
          <img src="/favicon.svg" alt="" width={40} height={40} />
          <div>
            <div class="brand-name">{t('app.name')}</div>
            <div class="muted">{t('app.tagline')}</div>
          </div>
        </div>
        <h1 id="login-title">{t('login.title')}</h1>
        {sessionEnded && <Notice>{t('login.sessionEnded')}</Notice>}
        <label>
          {t('login.username')}
          <input ref={userRef} name="username" autocomplete="username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} autocapitalize="none" spellcheck={false} />
        </label>
        <label>
          {t('login.password')}
          <input name="password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {message && (
          <p class="form-error" role="alert">
            {message}
          </p>
        )}
        {error !== null && <ErrorBox error={error} />}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t('login.busy') : t('login.submit')}
        </button>
        <p class="muted small">{t('login.help')}</p>
      </form>
    </main>
  );
}
