import type { ComponentChildren } from 'preact';
import { ApiProblem, NetworkProblem } from '../api-client.ts';
import { useI18n, type T } from '../i18n.ts';

/** Loading, empty and error states in plain words, the same look on every page. */
export function Loading({ text }: { text?: string }) {
  const { t } = useI18n();
  return (
    <p class="state-loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {text ?? t('common.loading')}
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="state-empty">{children}</p>;
}

export function Notice({ kind = 'info', children }: { kind?: 'info' | 'ok' | 'warn'; children: ComponentChildren }) {
  return (
    <p class={`notice notice-${kind}`} role={kind === 'warn' ? 'alert' : 'status'}>
      {children}
    </p>
  );
}

/** The words for an API or network failure: ours first, the server's detail after it. */
export function problemLines(t: T, error: unknown): { main: string; detail?: string; hint?: string; requestId?: string } {
  if (error instanceof NetworkProblem) return { main: t('error.network') };
  if (error instanceof ApiProblem) {
    const base = { detail: error.detail, ...(error.hint ? { hint: error.hint } : {}), ...(error.requestId ? { requestId: error.requestId } : {}) };
    if (error.status >= 500) return { main: t('error.server', { status: error.status, requestId: error.requestId ?? '?' }), ...(error.requestId ? { requestId: error.requestId } : {}) };
    if (error.status === 403) return { main: t('error.forbidden'), ...base };
    if (error.status === 404) return { main: t('error.notFound'), ...base };
    return { main: error.detail, ...(error.hint ? { hint: error.hint } : {}) };
  }
  return { main: t('error.console'), detail: String((error as Error)?.message ?? error) };
}

export function ErrorBox({ error, retry }: { error: unknown; retry?: () => void }) {
  const { t } = useI18n();
  const p = problemLines(t, error);
  return (
    <div class="state-error" role="alert">
      <strong>{t('error.title')}:</strong> {p.main}
      {p.detail && p.detail !== p.main && <div class="muted">{p.detail}</div>}
      {p.hint && <div class="muted">{p.hint}</div>}
      {retry && (
        <div>
          <button type="button" onClick={retry}>
            {t('common.retry')}
          </button>
        </div>
      )}
    </div>
  );
}
