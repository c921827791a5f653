import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemOf, startApiHarness, type ApiHarness } from './api-harness.ts';

/**
 * Login, session cookie, CSRF, bearer tokens, session lifetime and the login rate limit, over
 * real HTTP against a real SQLite file, with the app's clock driven by hand.
 */
const PASSWORD = 'đúng mật khẩu 1';

async function login(h: ApiHarness, username: string, password: string, headers: Record<string, string> = {}) {
  return h.fetch('/api/v1/auth/login', { method: 'POST', json: { username, password }, headers });
}

function cookieOf(res: Response): string {
  const set = res.headers.get('set-cookie');
  if (!set) throw new Error('no Set-Cookie');
  return set.split(';')[0]!;
}

describe('login and the session cookie', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness({ config: { api: { trustedProxies: ['127.0.0.1'] } } });
    await h.createUser({ username: 'lan', role: 'investigator', sites: ['ward-a'], password: PASSWORD });
  });
  afterAll(async () => h?.close());

  it('sets an HttpOnly, SameSite=Strict, Path=/ cookie, not Secure over plain HTTP', async () => {
    const res = await login(h, 'Lan', PASSWORD);
    expect(res.status).toBe(200);
    const set = res.headers.get('set-cookie')!;
    expect(set).toMatch(/^vigil_session=[A-Za-z0-9_-]{43};/);
    expect(set).toContain('HttpOnly');
    expect(set).toContain('SameSite=Strict');
    expect(set).toContain('Path=/');
    expect(set).toContain('Max-Age=43200');
    expect(set).not.toContain('Secure');
    const body = (await res.json()) as { user: { username: string; role: string; sites: string[] }; csrfToken: string; via: string };
    expect(body.user).toMatchObject({ username: 'lan', role: 'investigator', sites: ['ward-a'] });
    expect(body.via).toBe('session');
    expect(JSON.stringify(body)).not.toContain(PASSWORD);
    expect(JSON.stringify(body)).not.toContain('scrypt');

    const me = await h.fetch('/api/v1/me', { headers: { cookie: cookieOf(res) } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { csrfToken: string }).csrfToken).toBe(body.csrfToken);
  });

  it('marks the cookie Secure when a trusted proxy says the request came over HTTPS', async () => {
    const res = await login(h, 'lan', PASSWORD, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toContain('Secure');
    const rows = await h.auditRows();
    expect(rows.at(-1)).toMatchObject({ action: 'auth.login', actor_name: 'lan', ip: '203.0.113.7' });
  });

  it('answers a wrong password, an unknown user and a disabled account alike, and audits each', async () => {
    const u = await h.createUser({ username: 'off', role: 'viewer', password: PASSWORD });
    await h.ctx.users.update(u.id, { disabled: true });
    const answers = [];
    for (const [name, pw] of [['lan', 'wrong password'], ['nobody', PASSWORD], ['off', PASSWORD]] as const) {
      const res = await login(h, name, pw, { 'x-forwarded-for': `198.51.100.${answers.length + 1}` });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="vigil"');
      expect(res.headers.get('set-cookie')).toBeNull();
      const p = await problemOf(res);
      answers.push({ code: p.code, detail: p.detail, title: p.title });
      expect(JSON.stringify(p)).not.toContain(pw);
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    const failed = (await h.auditRows()).filter((r) => r.action === 'auth.login_failed').map((r) => ({ ...JSON.parse(r.detail), ip: r.ip, actor: r.actor_name }));
    expect(failed.slice(-3)).toEqual([
      { username: 'lan', reason: 'wrong_password', ip: '198.51.100.1', actor: null },
      { username: 'nobody', reason: 'unknown_user', ip: '198.51.100.2', actor: null },
      { username: 'off', reason: 'disabled', ip: '198.51.100.3', actor: null },
    ]);
    // Passwords and session secrets never reach the log.
    const log = JSON.stringify(h.logLines());
    expect(log).not.toContain(PASSWORD);
    expect(log).not.toContain('wrong password');
  });

  it('a new login from a browser replaces its session; a failed one leaves it alone', async () => {
    const first = cookieOf(await login(h, 'lan', PASSWORD));
    expect((await login(h, 'lan', 'not the password', { cookie: first, 'x-forwarded-for': '198.51.100.77' })).status).toBe(401);
    expect((await h.fetch('/api/v1/me', { headers: { cookie: first } })).status).toBe(200);
    const second = cookieOf(await login(h, 'lan', PASSWORD, { cookie: first }));
    expect((await h.fetch('/api/v1/me', { headers: { cookie: first } })).status).toBe(401);
    expect((await h.fetch('/api/v1/me', { headers: { cookie: second } })).status).toBe(200);
  });

  it('logout ends the session and clears the cookie', async () => {
    const res = await login(h, 'lan', PASSWORD);
    const cookie = cookieOf(res);
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    const out = await h.fetch('/api/v1/auth/logout', { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/vigil_session=;.*Max-Age=0/);
    expect((await h.fetch('/api/v1/me', { headers: { cookie } })).status).toBe(401);
  });

  it('ends a session after the idle timeout, and at its absolute lifetime however busy', async () => {
    const cookie = cookieOf(await login(h, 'lan', PASSWORD));
    h.clock.advance(59 * 60_000);
    expect((await h.fetch('/api/v1/me', { headers: { cookie } })).status).toBe(200);
    h.clock.advance(60 * 60_000); // 60 min without a request: the idle limit (1 h)
    const idle = await h.fetch('/api/v1/me', { headers: { cookie } });
    expect(idle.status).toBe(401);
    expect((await problemOf(idle)).detail).toContain('expired');

    const busy = cookieOf(await login(h, 'lan', PASSWORD));
    for (let elapsedMin = 0; elapsedMin < 12 * 60 - 30; elapsedMin += 30) {
      h.clock.advance(30 * 60_000);
      expect((await h.fetch('/api/v1/me', { headers: { cookie: busy } })).status, `after ${elapsedMin + 30} min`).toBe(200);
    }
    h.clock.advance(30 * 60_000); // 12 h since login
    expect((await h.fetch('/api/v1/me', { headers: { cookie: busy } })).status).toBe(401);
  });

  it('ends the sessions of an account when it is disabled', async () => {
    const u = await h.createUser({ username: 'leaving', role: 'viewer', password: PASSWORD });
    const cookie = cookieOf(await login(h, 'leaving', PASSWORD));
    expect((await h.fetch('/api/v1/me', { headers: { cookie } })).status).toBe(200);
    await h.ctx.users.update(u.id, { disabled: true });
    expect((await h.fetch('/api/v1/me', { headers: { cookie } })).status).toBe(401);
  });
});

describe('CSRF and bearer tokens', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness();
    await h.createUser({ username: 'lan', role: 'investigator', sites: ['ward-a'], password: PASSWORD });
  });
  afterAll(async () => h?.close());

  it('refuses a cookie-authenticated change without the matching X-CSRF-Token, and makes no change', async () => {
    const res = await login(h, 'lan', PASSWORD);
    const cookie = cookieOf(res);
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    const other = (await ((await login(h, 'lan', PASSWORD)).json()) as { csrfToken: string }).csrfToken;
    const attempts: Record<string, string>[] = [{ cookie }, { cookie, 'x-csrf-token': 'guess' }, { cookie, 'x-csrf-token': other }];
    for (const headers of attempts) {
      const r = await h.fetch('/api/v1/tokens', { method: 'POST', json: { name: 'x' }, headers });
      expect(r.status).toBe(403);
      expect((await problemOf(r)).code).toBe('csrf_rejected');
    }
    const user = (await h.ctx.users.byUsername('lan'))!;
    expect(await h.ctx.tokens.list(user.id)).toEqual([]);
    // Safe methods need no token; the right token lets the change through.
    expect((await h.fetch('/api/v1/tokens', { headers: { cookie } })).status).toBe(200);
    expect((await h.fetch('/api/v1/tokens', { method: 'POST', json: { name: 'x' }, headers: { cookie, 'x-csrf-token': csrfToken } })).status).toBe(201);
  });

  it('issues a token once, accepts it as a bearer, records its use, and refuses it once revoked', async () => {
    const res = await login(h, 'lan', PASSWORD);
    const headers = { cookie: cookieOf(res), 'x-csrf-token': ((await res.json()) as { csrfToken: string }).csrfToken };
    const made = await h.fetch('/api/v1/tokens', { method: 'POST', json: { name: 'nightly report', expiresInDays: 7 }, headers });
    expect(made.status).toBe(201);
    const t = (await made.json()) as { id: string; token: string; expires: string; lastUsed: string | null };
    expect(t.token).toMatch(/^vgl_[A-Za-z0-9_-]{43}$/);
    expect(t.lastUsed).toBeNull();
    const bearer = { authorization: `Bearer ${t.token}` };
    const me = await h.fetch('/api/v1/me', { headers: bearer });
    expect(me.status).toBe(200);
    const meBody = (await me.json()) as { via: string; csrfToken?: string };
    expect(meBody.via).toBe('token');
    expect(meBody.csrfToken).toBeUndefined();
    // A bearer needs no CSRF token (a browser never attaches one by itself) but cannot mint tokens.
    const mint = await h.fetch('/api/v1/tokens', { method: 'POST', json: { name: 'y' }, headers: bearer });
    expect(mint.status).toBe(403);
    const listed = (await (await h.fetch('/api/v1/tokens', { headers: bearer })).json()) as { tokens: Record<string, unknown>[] };
    const entry = listed.tokens.find((x) => x.id === t.id)!;
    expect(entry.lastUsed).not.toBeNull();
    expect(JSON.stringify(listed)).not.toContain(t.token);
    const stored = await h.db.selectFrom('api_tokens').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(t.token.slice(4));

    expect((await h.fetch(`/api/v1/tokens/${t.id}`, { method: 'DELETE', headers })).status).toBe(204);
    const after = await h.fetch('/api/v1/me', { headers: bearer });
    expect(after.status).toBe(401);
    expect((await problemOf(after)).detail).toContain('revoked');
    expect((await h.auditRows()).map((r) => r.action)).toEqual(expect.arrayContaining(['token.create', 'token.revoke']));
  });

  it('refuses an expired token, a malformed header, and does not fall back to the cookie', async () => {
    const res = await login(h, 'lan', PASSWORD);
    const cookie = cookieOf(res);
    const headers = { cookie, 'x-csrf-token': ((await res.json()) as { csrfToken: string }).csrfToken };
    const t = (await (await h.fetch('/api/v1/tokens', { method: 'POST', json: { name: 'short', expiresInDays: 1 }, headers })).json()) as { token: string };
    expect((await h.fetch('/api/v1/me', { headers: { authorization: `Bearer ${t.token}` } })).status).toBe(200);
    for (const authorization of ['Basic bGFuOnB3', 'Bearer', 'Bearer not-a-vigil-token', `Bearer vgl_${'A'.repeat(43)}`]) {
      const r = await h.fetch('/api/v1/me', { headers: { authorization, cookie } });
      expect(r.status, authorization).toBe(401);
      expect(JSON.stringify(await problemOf(r))).not.toContain('bGFuOnB3');
    }
    h.clock.advance(86_400_000);
    expect((await h.fetch('/api/v1/me', { headers: { authorization: `Bearer ${t.token}` } })).status).toBe(401);
  });
});

describe('login rate limit', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    // The proxy is trusted so each test can speak from its own client address.
    h = await startApiHarness({ config: { api: { trustedProxies: ['127.0.0.1'] } } });
    for (const name of ['minh', 'hoa', 'tuan']) await h.createUser({ username: name, role: 'viewer', password: PASSWORD });
  });
  afterAll(async () => h?.close());

  it('locks a username after 5 failures for 60 s, refuses even the right password meanwhile, then doubles', async () => {
    const from = { 'x-forwarded-for': '192.0.2.10' };
    for (let i = 0; i < 5; i++) expect((await login(h, 'minh', `wrong ${i}`, from)).status).toBe(401);
    const locked = await login(h, 'minh', PASSWORD, from);
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toBe('60');
    const p = await problemOf(locked);
    expect(p).toMatchObject({ code: 'too_many_attempts', retryAfterSeconds: 60, status: 429 });
    // Another address does not help: the lock is on the username.
    expect((await login(h, 'minh', PASSWORD, { 'x-forwarded-for': '192.0.2.99' })).status).toBe(429);
    h.clock.advance(30_000);
    expect((await login(h, 'minh', PASSWORD, from)).headers.get('retry-after')).toBe('30');
    h.clock.advance(30_000);
    // The lock has passed; one more failure locks for twice as long.
    expect((await login(h, 'minh', 'wrong again', from)).status).toBe(401);
    expect((await login(h, 'minh', PASSWORD, from)).headers.get('retry-after')).toBe('120');
    h.clock.advance(120_000);
    expect((await login(h, 'minh', PASSWORD, from)).status).toBe(200);
    // A success starts the username over.
    for (let i = 0; i < 4; i++) expect((await login(h, 'minh', `wrong ${i}`, from)).status).toBe(401);
    expect((await login(h, 'minh', PASSWORD, from)).status).toBe(200);
  });

  it('counts parallel guesses before hashing, so a burst cannot slip past the limit', async () => {
    const from = { 'x-forwarded-for': '192.0.2.20' };
    const statuses = await Promise.all(Array.from({ length: 12 }, (_, i) => login(h, 'hoa', `guess ${i}`, from).then((r) => r.status)));
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
  });

  it('locks a client address after 20 failures across usernames', async () => {
    const from = { 'x-forwarded-for': '192.0.2.30' };
    for (let i = 0; i < 20; i++) expect((await login(h, `sprayed-${i}`, 'Password123', from)).status).toBe(401);
    const r = await login(h, 'tuan', PASSWORD, from);
    expect(r.status).toBe(429);
    expect((await login(h, 'tuan', PASSWORD, { 'x-forwarded-for': '192.0.2.31' })).status).toBe(200);
    // The lock survives a restart of the API: it is in the database.
    const rows = await h.db.selectFrom('login_attempts').selectAll().where('key', '=', 'ip:192.0.2.30').execute();
    expect(rows[0]).toMatchObject({ failures: 20 });
  });

  it('forgets stale failure counters, so sprayed usernames do not pile up', async () => {
    const count = async () => (await h.db.selectFrom('login_attempts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
    expect(Number(await count())).toBeGreaterThan(20);
    h.clock.advance(2 * 3_600_000 + 3_600_000); // past forgetAfter (2 × the longest lock) and the hourly purge
    expect((await login(h, 'tuan', PASSWORD, { 'x-forwarded-for': '192.0.2.40' })).status).toBe(200);
    expect(Number(await count())).toBe(0); // the stale ones purged; this success left nothing behind
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const h2 = await startApiHarness();
    try {
      await h2.createUser({ username: 'kim', role: 'viewer', password: PASSWORD });
      await login(h2, 'kim', PASSWORD, { 'x-forwarded-for': '203.0.113.50', 'x-forwarded-proto': 'https' }).then(async (r) => {
        expect(r.status).toBe(200);
        expect(r.headers.get('set-cookie')).not.toContain('Secure');
      });
      expect((await h2.auditRows()).at(-1)).toMatchObject({ action: 'auth.login', ip: '127.0.0.1' });
    } finally {
      await h2.close();
    }
  });
});
