import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PACKAGE_FILES } from '../../src/evidence/manifest.ts';
import { openPackageFiles, type PackageFile } from '../../src/evidence/package-files.ts';
import { verifyPackage, type VerifyProblem } from '../../src/evidence/package-verify.ts';
import { formatSha256Sums } from '../../src/evidence/sha256sums.ts';
import { loadOrCreateSigningKey, type EvidenceSigningKey } from '../../src/evidence/signing-key.ts';
import { writeTarFile, type TarInput } from '../../src/evidence/tar-writer.ts';
import { ffprobe } from '../helpers/ffprobe.ts';
import { buildTestPackage, CAMERA, flipByte, run, T0 } from './evidence-fixtures.ts';

const work = mkdtempSync(path.join(tmpdir(), 'vigil-evidence-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let key: EvidenceSigningKey;
let otherKey: EvidenceSigningKey;
let pkg: string;
const CLIP = 'ward-x-counter-3_20260303-093959.mp4';
const FOLDER = 'vigil-evidence-ev-20260303-0123456789';

beforeAll(async () => {
  key = await loadOrCreateSigningKey(path.join(work, 'data'));
  otherKey = await loadOrCreateSigningKey(path.join(work, 'other-install'));
  pkg = path.join(work, 'package.tar');
  await buildTestPackage({ workDir: work, destPath: pkg, key });
});

const copyOf = (src: string, name: string) => {
  const p = path.join(work, name);
  copyFileSync(src, p);
  return p;
};
async function filesOf(p: string): Promise<Map<string, PackageFile>> {
  const opened = await openPackageFiles(p);
  if (!opened.ok) throw new Error(opened.why);
  return new Map(opened.files.map((f) => [f.name, f]));
}

describe('an evidence package as built', () => {
  it('verifies, saying what it checked', async () => {
    const v = await verifyPackage(pkg, { expectedFingerprint: key.fingerprint });
    if (!v.ok) throw new Error(v.message);
    expect(v.fingerprint).toBe(key.fingerprint);
    expect(v.keyCompared).toBe(true);
    expect(v.checks.join('\n')).toContain(`SHA-256 matches: ${CLIP}`);
    expect(v.checks.some((c) => c.startsWith('signature: '))).toBe(true);
    expect(v.manifest).toMatchObject({
      packageId: 'ev-20260303-0123456789',
      camera: { id: CAMERA.id, name: CAMERA.name, clockOffsetMs: 1830 },
      site: { id: 'ward-x', name: 'UBND Phường X' },
      case: { reference: 'KN-2026/031' },
      exportedBy: { username: 'lan.nguyen' },
      reason: 'Công dân phản ánh lúc 9 giờ 40',
      askedRange: { start: { iso: '2026-03-03T09:40:00.000+07:00', epochMs: T0 }, end: { epochMs: T0 + 4000 } },
      actualRange: { start: { iso: '2026-03-03T09:39:59.600+07:00', epochMs: T0 - 400 } },
      gaps: [{ reason: 'stream_stalled' }],
    });
    expect(v.manifest.sourceSegments.length).toBe(1);
  });

  it('is a plain tar: tar lists it, sha256sum -c and openssl check it without Vigil, the MP4 plays', async () => {
    const listing = await run('tar', ['-tvf', pkg], work);
    expect(listing.code).toBe(0);
    for (const f of [CLIP, ...Object.values(PACKAGE_FILES)]) expect(listing.stdout).toContain(`${FOLDER}/${f}`);
    const out = path.join(work, 'extracted');
    mkdirSync(out);
    expect((await run('tar', ['-xf', pkg, '-C', out], work)).code).toBe(0);
    const folder = path.join(out, FOLDER);
    const sums = await run('sha256sum', ['-c', PACKAGE_FILES.sums], folder);
    expect(sums.code).toBe(0);
    expect(sums.stdout.trim().split('\n')).toEqual([`${CLIP}: OK`, 'manifest.json: OK', 'README.txt: OK', 'public-key.pem: OK']);
    const ssl = await run('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', PACKAGE_FILES.publicKey, '-rawin', '-in', PACKAGE_FILES.sums, '-sigfile', PACKAGE_FILES.signature], folder);
    expect(ssl.stdout).toContain('Signature Verified Successfully');
    const probe = await ffprobe(path.join(folder, CLIP));
    expect(probe.streams[0]).toMatchObject({ codec_type: 'video', codec_name: 'h264', width: 320, height: 240 });
    expect(Number(probe.format.duration)).toBeCloseTo(4, 0);
    // the extracted folder verifies too
    expect(await verifyPackage(folder, { expectedFingerprint: key.fingerprint })).toMatchObject({ ok: true });
    const readme = readFileSync(path.join(folder, PACKAGE_FILES.readme), 'utf8');
    expect(readme).toContain('sha256sum -c SHA256SUMS');
    expect(readme).toContain('Cách kiểm tra');
    expect(readme).toContain(key.fingerprint);
    // a tampered extracted clip fails sha256sum -c as well
    flipByte(path.join(folder, CLIP), 1000);
    expect((await run('sha256sum', ['-c', PACKAGE_FILES.sums], folder)).code).not.toBe(0);
    expect(await verifyPackage(folder)).toMatchObject({ ok: false, problem: 'file_hash', file: CLIP });
  });
});

describe('one byte flipped in a file of the package', () => {
  const targets: Array<[string, VerifyProblem[]]> = [
    [CLIP, ['file_hash']],
    [PACKAGE_FILES.manifest, ['file_hash']],
    [PACKAGE_FILES.readme, ['file_hash']],
    [PACKAGE_FILES.sums, ['hash_list']],
    [PACKAGE_FILES.signature, ['signature']],
    [PACKAGE_FILES.publicKey, ['public_key', 'file_hash']],
  ];
  it.each(targets)('%s: verify fails naming it, wherever the byte is', async (name, problems) => {
    const f = (await filesOf(pkg)).get(name)!;
    const positions = [...new Set([0, 1, Math.floor(f.sizeBytes / 3), Math.floor(f.sizeBytes / 2), f.sizeBytes - 2, f.sizeBytes - 1])];
    for (const pos of positions) {
      const p = copyOf(pkg, `flip-${name}-${pos}.tar`);
      flipByte(p, f.offsetInArchive! + pos);
      const v = await verifyPackage(p);
      expect(v.ok, `${name} byte ${pos}`).toBe(false);
      if (v.ok) continue;
      expect({ at: pos, file: v.file }).toEqual({ at: pos, file: name });
      expect(problems, `${name} byte ${pos}: ${v.message}`).toContain(v.problem);
      expect(v.message).toContain(name);
      rmSync(p);
    }
  });

  it('a flipped byte in a tar header is reported as a damaged archive', async () => {
    const p = copyOf(pkg, 'flip-header.tar');
    flipByte(p, 512 + 20); // name field of the second header
    expect(await verifyPackage(p)).toMatchObject({ ok: false, problem: 'unreadable', file: null });
  });
});

describe('who signed it', () => {
  let foreign: string;
  beforeAll(async () => {
    foreign = path.join(work, 'foreign.tar');
    await buildTestPackage({ workDir: work, destPath: foreign, key: otherKey });
  });

  it('a package signed by another key is intact by itself but fails against the expected key', async () => {
    expect(await verifyPackage(foreign)).toMatchObject({ ok: true, keyCompared: false, fingerprint: otherKey.fingerprint });
    const byFp = await verifyPackage(foreign, { expectedFingerprint: key.fingerprint });
    expect(byFp).toMatchObject({ ok: false, problem: 'unexpected_key', file: PACKAGE_FILES.publicKey });
    if (!byFp.ok) expect(byFp.message).toContain(otherKey.fingerprint);
    expect(await verifyPackage(foreign, { expectedPublicKeyPem: key.publicKeyPem })).toMatchObject({ ok: false, problem: 'unexpected_key' });
    expect(await verifyPackage(foreign, { expectedFingerprint: otherKey.fingerprint.toUpperCase().replaceAll('-', ':') })).toMatchObject({ ok: true, keyCompared: true });
  });

  it('a clip swapped in with SHA256SUMS rewritten but not re-signed fails on the signature', async () => {
    const files = await filesOf(pkg);
    const tar = await rebuild(files, 'resum.tar', async (name, data) => {
      if (name === CLIP) return Buffer.concat([data, Buffer.from('extra')]);
      return data;
    }, true);
    expect(await verifyPackage(tar)).toMatchObject({ ok: false, problem: 'signature', file: PACKAGE_FILES.signature });
  });

  it('a file added after signing, or one missing, is named', async () => {
    const files = await filesOf(pkg);
    const extra = await rebuild(files, 'extra.tar', async (_n, d) => d, false, [{ name: 'note.txt', data: Buffer.from('hi') }]);
    expect(await verifyPackage(extra)).toMatchObject({ ok: false, problem: 'structure', file: 'note.txt' });
    const missing = await rebuild(files, 'missing.tar', async (name, d) => (name === PACKAGE_FILES.readme ? null : d));
    expect(await verifyPackage(missing)).toMatchObject({ ok: false, problem: 'structure', file: PACKAGE_FILES.readme });
    const cut = copyOf(pkg, 'cut.tar');
    writeFileSync(cut, readFileSync(cut).subarray(0, statSync(cut).size - 12_000));
    expect(await verifyPackage(cut)).toMatchObject({ ok: false, problem: 'unreadable' });
    expect(await verifyPackage(path.join(work, 'no-such.tar'))).toMatchObject({ ok: false, problem: 'unreadable' });
  });
});

describe('the signing key', () => {
  it('is made once, private (0600 in a 0700 folder), and the same on every load', async () => {
    const dataDir = path.join(work, 'fresh');
    const [a, b] = await Promise.all([loadOrCreateSigningKey(dataDir), loadOrCreateSigningKey(dataDir)]);
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.fingerprint).toMatch(/^([0-9a-f]{4}-){7}[0-9a-f]{4}$/);
    const file = path.join(dataDir, 'keys', 'evidence-ed25519.pem');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect((await loadOrCreateSigningKey(dataDir)).publicKeyPem).toBe(a.publicKeyPem);
    expect(a.publicKeyPem).not.toContain('PRIVATE');
    expect(JSON.stringify(a)).not.toContain('PRIVATE');
  });

  it('is refused when other users can read it', async () => {
    const dataDir = path.join(work, 'loose');
    await loadOrCreateSigningKey(dataDir);
    const file = path.join(dataDir, 'keys', 'evidence-ed25519.pem');
    const { chmodSync } = await import('node:fs');
    chmodSync(file, 0o644);
    await expect(loadOrCreateSigningKey(dataDir)).rejects.toMatchObject({ code: 'evidence_key_unusable' });
  });
});

/** Rewrites the package's tar with files changed (null drops one); resum recomputes SHA256SUMS without re-signing. */
async function rebuild(files: Map<string, PackageFile>, name: string, change: (name: string, data: Buffer) => Promise<Buffer | null>, resum = false, extra: Array<{ name: string; data: Buffer }> = []): Promise<string> {
  const out = new Map<string, Buffer>();
  for (const [n, f] of files) {
    const d = await change(n, await f.read(1 << 26));
    if (d) out.set(n, d);
  }
  if (resum) {
    const { createHash } = await import('node:crypto');
    const listed = [...out.keys()].filter((n) => n !== PACKAGE_FILES.sums && n !== PACKAGE_FILES.signature);
    out.set(PACKAGE_FILES.sums, Buffer.from(formatSha256Sums(listed.map((n) => ({ name: n, sha256: createHash('sha256').update(out.get(n)!).digest('hex') })))));
  }
  for (const e of extra) out.set(e.name, e.data);
  const entries: TarInput[] = [{ name: FOLDER, type: 'dir', mode: 0o755, mtimeSec: 0 }, ...[...out].map(([n, data]): TarInput => ({ name: `${FOLDER}/${n}`, type: 'file', mode: 0o644, mtimeSec: 0, source: { data } }))];
  const p = path.join(work, name);
  await writeTarFile(p, entries);
  return p;
}
