import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPackageFiles } from '../../src/evidence/package-files.ts';
import { loadOrCreateSigningKey, type EvidenceSigningKey } from '../../src/evidence/signing-key.ts';
import { buildTestPackage, flipByte, run } from './evidence-fixtures.ts';

/** `vigil verify` as a real subprocess: node --import tsx bin/vigil.ts verify … */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(path.join(tmpdir(), 'vigil-verify-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const vigil = (...args: string[]) => run(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bin/vigil.ts'), 'verify', ...args], repoRoot);

let key: EvidenceSigningKey;
let pkg: string;
let tampered: string;
let otherPub: string;
const CLIP = 'ward-x-counter-3_20260303-093959.mp4';

beforeAll(async () => {
  key = await loadOrCreateSigningKey(path.join(work, 'data'));
  pkg = path.join(work, 'evidence.tar');
  await buildTestPackage({ workDir: work, destPath: pkg, key });
  tampered = path.join(work, 'tampered.tar');
  copyFileSync(pkg, tampered);
  const opened = await openPackageFiles(tampered);
  if (!opened.ok) throw new Error(opened.why);
  const clip = opened.files.find((f) => f.name === CLIP)!;
  flipByte(tampered, clip.offsetInArchive! + 5000);
  otherPub = path.join(work, 'other.pem');
  writeFileSync(otherPub, (await loadOrCreateSigningKey(path.join(work, 'other'))).publicKeyPem);
});

describe('vigil verify', () => {
  it('exits 0 for an intact package signed by the expected key, saying what it checked', async () => {
    const r = await vigil(pkg, '--fingerprint', key.fingerprint);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`[ok]   SHA-256 matches: ${CLIP}`);
    expect(r.stdout).toContain('[ok]   signature: SHA256SUMS.sig is a valid Ed25519 signature');
    expect(r.stdout).toContain('[ok]   manifest: camera ward-x-counter-3');
    expect(r.stdout).toMatch(/VALID: nothing was changed since the package was signed, and it was signed by the expected key/);
    const pubFile = path.join(work, 'expected.pem');
    writeFileSync(pubFile, key.publicKeyPem);
    expect((await vigil(pkg, '--public-key', pubFile)).code).toBe(0);
  });

  it('exits 1 naming the tampered file', async () => {
    const r = await vigil(tampered);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`[FAIL] ${CLIP}: ${CLIP} was changed after the package was signed`);
    expect(r.stdout).toContain(`NOT VALID: ${CLIP} does not match`);
  });

  it('exits 1 when signed by a key other than the expected one', async () => {
    const r = await vigil(pkg, '--public-key', otherPub);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('NOT VALID: public-key.pem does not match');
  });

  it.each<[string, string[], RegExp]>([
    ['no package', [], /name the evidence package/],
    ['both key options', ['x.tar', '--fingerprint', 'aaaa', '--public-key', 'k.pem'], /not both/],
    ['a malformed fingerprint', ['x.tar', '--fingerprint', '3f2a'], /32 hex digits/],
    ['an unknown option', ['x.tar', '--fingerprnt', 'x'], /Unknown option/i],
  ])('exits 2 on usage errors: %s', async (_n, args, msg) => {
    const r = await vigil(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg);
  });
});
