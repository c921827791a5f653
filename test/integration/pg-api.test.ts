import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemOf, startApiHarness, type ApiHarness } from './api-harness.ts';

/**
 * The API over PostgreSQL, where requests run on a pool of connections at once (SQLite runs one
 * transaction at a time on its single connection, which hid these races): the login rate limit
 * under a burst, concurrent cases with one reference, and the audit chain after both. The whole
 * API suite runs on PostgreSQL with TEST_DB_DIALECT=postgres; this file keeps the concurrency
 * cases in every run.
 */
const PASSWORD = 'đúng mật khẩu 1';

describe('the API on PostgreSQL', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness({ database: 'postgres', config: { api: { trustedProxies: ['127.0.0.1'] } } });
    for (const name of ['hoa', 'minh', 'lan']) await h.createUser({ username: name, role: name === 'lan' ? 'admin' : 'investigator', password: PASSWORD });
  });
  afterAll(async () => h?.close());

  const login = (username: string, password: string, ip: string) =>
    h.fetch('/api/v1/auth/login', { method: 'POST', json: { username, password }, headers: { 'x-forwarded-for': ip } });

  it('counts a burst of parallel guesses one by one: 5 refused as wrong, the rest locked out', async () => {
    const statuses = await Promise.all(Array.from({ length: 12 }, (_, i) => login('hoa', `guess ${i}`, '192.0.2.20').then((r) => r.status)));
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
    const row = await h.db.selectFrom('login_attempts').selectAll().where('key', '=', 'user:hoa').executeTakeFirstOrThrow();
    expect(row.failures).toBe(5);
  });

  it('serves parallel right and wrong logins from one address without a deadlock or a lost count', async () => {
    const tries = Array.from({ length: 16 }, (_, i) => (i % 2 ? login('minh', PASSWORD, '192.0.2.30') : login('minh', `wrong ${i}`, '192.0.2.30')));
    const statuses = (await Promise.all(tries)).map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 401 || s === 429)).toBe(true);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    // Every failure counted for the address was either forgiven by a success or is still there.
    const ip = await h.db.selectFrom('login_attempts').selectAll().where('key', '=', 'ip:192.0.2.30').executeTakeFirst();
    expect(ip?.failures ?? 0).toBeLessThanOrEqual(statuses.filter((s) => s === 401).length);
  });

  it('opens exactly one case when the same reference is submitted twice at once', async () => {
    const res = await login('lan', PASSWORD, '192.0.2.40');
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const csrf = ((await res.json()) as { csrfToken: string }).csrfToken;
    const create = () => h.fetch('/api/v1/cases', { method: 'POST', json: { reference: 'KN-2026/077', title: 'Quầy 4', site: 'ward-a' }, headers: { cookie, 'x-csrf-token': csrf } });
    const answers = await Promise.all(Array.from({ length: 6 }, create));
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    expect((await problemOf(answers.find((r) => r.status === 409)!)).code).toBe('case_exists');
    const rows = await h.db.selectFrom('cases').select('id').where('reference', '=', 'KN-2026/077').execute();
    expect(rows).toHaveLength(1);
    const verify = await h.fetch('/api/v1/audit/verify', { headers: { cookie } });
    expect(await verify.json()).toMatchObject({ ok: true });
  });
});
