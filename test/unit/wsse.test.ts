import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CREATED_WINDOW_MS,
  NonceCache,
  checkUsernameToken,
  parseCreated,
  passwordDigest,
  verifyUsernameToken,
  type UsernameToken,
  type WsseResult,
} from '../../recorder/sim/wsse.ts';

const CAMERA = { username: 'admin', password: 'sim-pass-1' };
const NOW = Date.UTC(2026, 0, 5, 2, 0, 0);
const iso = (ms: number): string => new Date(ms).toISOString();
const NONCE = Buffer.from('0123456789abcdef').toString('base64');

/** A token as a client would build it: digest over the given nonce, Created and password. */
function digestToken(opts: { username?: string; password?: string; created?: string; nonce?: string } = {}): UsernameToken {
  const created = opts.created ?? iso(NOW);
  const nonce = opts.nonce ?? NONCE;
  return {
    username: opts.username ?? CAMERA.username,
    password: passwordDigest(Buffer.from(nonce, 'base64'), created, opts.password ?? CAMERA.password),
    passwordType: 'PasswordDigest',
    nonce,
    created,
  };
}

describe('passwordDigest', () => {
  it('matches the worked example of the ONVIF Application Programmer’s Guide', () => {
    const nonce = Buffer.from('LKqI6G/AikKCQrN0zqZFlg==', 'base64');
    expect(passwordDigest(nonce, '2010-09-16T07:50:45Z', 'userpassword')).toBe('tuOSpGlFlIXsozq4HFNeeGeFLEI=');
  });
});

describe('parseCreated', () => {
  it.each<[string, number | undefined]>([
    ['2026-01-05T02:00:00Z', NOW],
    ['2026-01-05T02:00:00.250Z', NOW + 250],
    ['2026-01-05T09:00:00+07:00', NOW],
    ['2026-01-05T02:00:00', undefined], // no zone: ambiguous, refused
    ['2026-01-05 02:00:00Z', undefined],
    ['yesterday', undefined],
    ['', undefined],
  ])('%j → %j', (input, expected) => {
    expect(parseCreated(input)).toBe(expected);
  });
});

describe('checkUsernameToken', () => {
  const W = DEFAULT_CREATED_WINDOW_MS;
  const cases: Array<{ name: string; token: UsernameToken; cameraNowMs?: number; windowMs?: number; rejectAll?: boolean; want: WsseResult }> = [
    { name: 'correct digest, Created now', token: digestToken(), want: { ok: true } },
    { name: 'wrong password', token: digestToken({ password: 'guess' }), want: { ok: false, reason: 'wrong-credentials' } },
    { name: 'wrong user', token: digestToken({ username: 'root' }), want: { ok: false, reason: 'wrong-credentials' } },
    {
      name: 'digest over another nonce than the one sent',
      token: { ...digestToken(), nonce: Buffer.from('another-nonce!!!').toString('base64') },
      want: { ok: false, reason: 'wrong-credentials' },
    },
    {
      name: 'camera refuses every credential',
      token: digestToken(),
      rejectAll: true,
      want: { ok: false, reason: 'credentials-changed' },
    },
    { name: 'Created exactly one window old', token: digestToken({ created: iso(NOW - W) }), want: { ok: true } },
    { name: 'Created just older than the window', token: digestToken({ created: iso(NOW - W - 1) }), want: { ok: false, reason: 'created-too-old' } },
    { name: 'Created exactly one window ahead', token: digestToken({ created: iso(NOW + W) }), want: { ok: true } },
    { name: 'Created beyond the window ahead', token: digestToken({ created: iso(NOW + W + 1) }), want: { ok: false, reason: 'created-in-future' } },
    { name: 'Created with a +07:00 offset', token: digestToken({ created: '2026-01-05T09:00:00+07:00' }), want: { ok: true } },
    {
      name: 'camera clock 1 h ahead, client stamps true time',
      token: digestToken({ created: iso(NOW) }),
      cameraNowMs: NOW + 3600_000,
      want: { ok: false, reason: 'created-too-old' },
    },
    {
      name: 'camera clock 1 h ahead, client stamps camera time',
      token: digestToken({ created: iso(NOW + 3600_000) }),
      cameraNowMs: NOW + 3600_000,
      want: { ok: true },
    },
    {
      name: 'strict 10 s window (Axis-like), Created 11 s old',
      token: digestToken({ created: iso(NOW - 11_000) }),
      windowMs: 10_000,
      want: { ok: false, reason: 'created-too-old' },
    },
    {
      name: 'no freshness check (Infinity), Created a year old',
      token: digestToken({ created: iso(NOW - 365 * 86400_000) }),
      windowMs: Number.POSITIVE_INFINITY,
      want: { ok: true },
    },
    {
      name: 'digest without Created',
      token: { ...digestToken(), created: undefined },
      want: { ok: false, reason: 'missing-created' },
    },
    {
      name: 'Created without a zone (digest itself right)',
      token: digestToken({ created: '2026-01-05T02:00:00' }),
      want: { ok: false, reason: 'malformed-created' },
    },
    {
      name: 'PasswordText, right password, no Created',
      token: { username: 'admin', password: 'sim-pass-1', passwordType: 'PasswordText' },
      want: { ok: true },
    },
    {
      name: 'PasswordText, wrong password',
      token: { username: 'admin', password: 'sim-pass-2', passwordType: 'PasswordText' },
      want: { ok: false, reason: 'wrong-credentials' },
    },
    {
      name: 'PasswordText with a stale Created',
      token: { username: 'admin', password: 'sim-pass-1', passwordType: 'PasswordText', created: iso(NOW - W - 1000) },
      want: { ok: false, reason: 'created-too-old' },
    },
    {
      name: 'PasswordText carrying the digest value',
      token: { ...digestToken(), passwordType: 'PasswordText' },
      want: { ok: false, reason: 'wrong-credentials' },
    },
  ];

  it.each(cases)('$name', ({ token, cameraNowMs, windowMs, rejectAll, want }) => {
    const ctx = { expected: CAMERA, cameraNowMs: cameraNowMs ?? NOW, rejectAll: rejectAll ?? false };
    expect(checkUsernameToken(token, windowMs === undefined ? ctx : { ...ctx, windowMs })).toEqual(want);
  });

  it('never puts a password into a rejection', () => {
    const result = checkUsernameToken(digestToken({ password: 'hunter2' }), { expected: CAMERA, cameraNowMs: NOW });
    expect(JSON.stringify(result)).not.toMatch(/hunter2|sim-pass-1/);
  });
});

describe('verifyUsernameToken (replay)', () => {
  const ctx = (nonces: NonceCache, cameraNowMs = NOW) => ({ expected: CAMERA, cameraNowMs, nonces });

  it.each<{ name: string; sequence: UsernameToken[]; want: Array<WsseResult> }>([
    {
      name: 'the same token twice: the second is a replay',
      sequence: [digestToken(), digestToken()],
      want: [{ ok: true }, { ok: false, reason: 'replayed-nonce' }],
    },
    {
      name: 'fresh nonces each time',
      sequence: [digestToken(), digestToken({ nonce: Buffer.from('second nonce....').toString('base64') })],
      want: [{ ok: true }, { ok: true }],
    },
    {
      name: 'a rejected token does not use up its nonce',
      sequence: [digestToken({ password: 'typo' }), digestToken()],
      want: [{ ok: false, reason: 'wrong-credentials' }, { ok: true }],
    },
  ])('$name', ({ sequence, want }) => {
    const nonces = new NonceCache();
    expect(sequence.map((t) => verifyUsernameToken(t, ctx(nonces)))).toEqual(want);
  });

  it('forgets a nonce once its Created can no longer pass the window', () => {
    const nonces = new NonceCache(10_000);
    nonces.add('n1', NOW);
    expect(nonces.has('n1', NOW + 19_999)).toBe(true);
    expect(nonces.has('n1', NOW + 20_000)).toBe(false);
    expect(nonces.size).toBe(0);
  });

  it('stays bounded, dropping the oldest nonces first', () => {
    const nonces = new NonceCache(60_000, 3);
    for (const n of ['a', 'b', 'c', 'd']) nonces.add(n, NOW);
    expect(nonces.size).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((n) => nonces.has(n, NOW))).toEqual([false, true, true, true]);
  });
});
