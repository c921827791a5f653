/**
 * The browser's one way to call Vigil's API: same origin, the session cookie, the CSRF token
 * on unsafe methods, and RFC 9457 problems turned into ApiProblem (code, detail, hint) so every
 * page shows the server's plain-words reason. A 401 on a call made while logged in tells the
 * app the session ended (idle timeout, logout elsewhere, account disabled).
 */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly hint?: string,
    readonly requestId?: string,
    readonly body?: Record<string, unknown>,
  ) {
    super(detail);
    this.name = 'ApiProblem';
  }
}

/** The network failed or the server did not answer (no HTTP status). */
export class NetworkProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkProblem';
  }
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export class ApiClient {
  csrfToken: string | undefined;
  onSessionEnded: (() => void) | undefined;

  async request<T>(method: Method, path: string, body?: unknown, opts: { signal?: AbortSignal; expectSession?: boolean } = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && this.csrfToken) headers['x-csrf-token'] = this.csrfToken;
    let res: Response;
    try {
      res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body), signal: opts.signal });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new NetworkProblem((e as Error).message);
    }
    if (res.status === 204) return undefined as T;
    const type = res.headers.get('content-type') ?? '';
    const data: unknown = type.includes('json') ? await res.json().catch(() => null) : await res.text();
    if (!res.ok) {
      const p = (data && typeof data === 'object' ? data : {}) as Record<string, unknown>;
      const problem = new ApiProblem(res.status, String(p.code ?? `http_${res.status}`), String(p.detail ?? p.title ?? res.statusText), p.hint === undefined ? undefined : String(p.hint), p.requestId === undefined ? undefined : String(p.requestId), p);
      if (res.status === 401 && opts.expectSession !== false) this.onSessionEnded?.();
      throw problem;
    }
    return data as T;
  }

  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, undefined, signal ? { signal } : {});
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body ?? {});
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }
  del<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }
}

/** Builds a query string, leaving out undefined values. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
