import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT, hashPassword, needsRehash, parseHash, passwordProblem, verifyPassword } from '../../api/auth/password-hash.ts';

describe('password hashing (scrypt)', () => {
  it('stores parameters, a per-user salt and the key; verifies only the right password', async () => {
    const started = performance.now();
    const a = await hashPassword('mật khẩu dài đủ');
    const ms = performance.now() - started;
    const b = await hashPassword('mật khẩu dài đủ');
    expect(a).toMatch(/^scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(a).not.toBe(b); // different salts
    expect(await verifyPassword('mật khẩu dài đủ', a)).toBe(true);
    expect(await verifyPassword('mật khẩu dài đủ ', a)).toBe(false);
    expect(await verifyPassword('Mật khẩu dài đủ', a)).toBe(false);
    // Figure, not an assertion: cost of one hash at the default parameters on this machine.
    console.log(`scrypt N=2^${DEFAULT_SCRYPT.ln}, r=${DEFAULT_SCRYPT.r}, p=${DEFAULT_SCRYPT.p}: one hash took ${ms.toFixed(0)} ms`);
  });

  it('treats composed and decomposed Vietnamese letters as the same password (NFC)', async () => {
    const composed = 'Nguyễn Thị Lan 2026';
    const decomposed = composed.normalize('NFD');
    expect(decomposed).not.toBe(composed);
    expect(await verifyPassword(decomposed, await hashPassword(composed, { ln: 4, r: 8, p: 1 }))).toBe(true);
  });

  it('verifies with the parameters stored in the hash, and asks for a rehash when they are weaker', async () => {
    const cheap = await hashPassword('an old password', { ln: 4, r: 8, p: 1 });
    expect(await verifyPassword('an old password', cheap)).toBe(true);
    expect(needsRehash(cheap)).toBe(true);
    expect(needsRehash(await hashPassword('x'.repeat(12)))).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['another scheme', '$2b$12$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQ'],
    ['absurd memory cost', 'scrypt$ln=40,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='],
    ['truncated key', 'scrypt$ln=4,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA'],
  ])('a malformed stored hash (%s) never matches', async (_n, stored) => {
    expect(parseHash(stored)).toBeNull();
    expect(await verifyPassword('anything at all', stored)).toBe(false);
  });

  it.each([
    ['short', 'abc123', /at least 10/],
    ['leading space', ' long enough pass', /spaces/],
    ['ten letters', 'abcdefghij', null],
    ['ten Vietnamese letters', 'đĐơƠưƯăĂâÂ', null],
  ])('new password rules: %s', (_n, pw, want) => {
    const p = passwordProblem(pw);
    if (want === null) expect(p).toBeNull();
    else expect(p).toMatch(want);
  });
});
