/**
 * A script's view of a running Vigil API (chaos scenarios, benches): log in once, make an API token
 * (bearer tokens live in the index, so they outlive an API restart), then call with it.
 */
export async function apiToken(url: string, username: string, password: string): Promise<string> {
  const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (!login.ok) throw new Error(`login of ${username} failed: ${login.status} ${await login.text()}`);
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const res = await fetch(`${url}/api/v1/tokens`, {
    method: 'POST',
    headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `chaos ${username}`, expiresInDays: 1 }),
  });
  if (res.status !== 201) throw new Error(`token for ${username} not made: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

export function bearer(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token}`, ...extra };
}

/** ISO 8601 UTC for query strings and bodies. */
export const iso = (ms: number) => new Date(ms).toISOString();
