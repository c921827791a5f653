import type { KeyObject } from 'node:crypto';
import { checkManifest } from './manifest-check.ts';
import { PACKAGE_FILES, type EvidenceManifest } from './manifest.ts';
import { openPackageFiles, type PackageFile } from './package-files.ts';
import { parseSha256Sums } from './sha256sums.ts';
import { fingerprintMatches, parsePublicKeyPem, publicKeyFingerprint, verifySignature } from './signing-key.ts';

/**
 * Checks an evidence package offline (the .tar, or the folder it was extracted to) and names
 * the first thing that does not match, as a typed verdict (never only a thrown error).
 *
 * Order: structure → public key → SHA256SUMS (format, covers every other file) → signature →
 * expected key (when asked) → SHA-256 of each file → manifest consistency.
 *
 * When the signature fails, the blame goes where a single change would explain it:
 *  - public-key.pem, when its hash differs from SHA256SUMS and its fingerprint from the
 *    manifest's (the key was replaced or damaged);
 *  - SHA256SUMS, when a line of it no longer matches its file (the list was edited);
 *  - SHA256SUMS.sig, when every line matches (the signature was changed, or the whole list
 *    was rewritten after signing).
 * With a valid signature SHA256SUMS is authentic, so a file whose hash differs is named.
 */
export type VerifyProblem = 'unreadable' | 'structure' | 'public_key' | 'hash_list' | 'signature' | 'unexpected_key' | 'file_hash' | 'manifest';

export interface VerifyOptions {
  /** The PEM text of the public key the package must be signed with. */
  expectedPublicKeyPem?: string | undefined;
  /** Or its fingerprint (short form, any separators, or the full SHA-256). */
  expectedFingerprint?: string | undefined;
}

export type PackageVerdict =
  | { ok: true; checks: string[]; manifest: EvidenceManifest; fingerprint: string; keyCompared: boolean }
  | { ok: false; problem: VerifyProblem; /** The file that does not match; null for the package as a whole. */ file: string | null; message: string; checks: string[] };

const MAX_SMALL_FILE = 1 << 20;
const REQUIRED = [PACKAGE_FILES.manifest, PACKAGE_FILES.sums, PACKAGE_FILES.signature, PACKAGE_FILES.publicKey, PACKAGE_FILES.readme];

export async function verifyPackage(packagePath: string, opts: VerifyOptions = {}): Promise<PackageVerdict> {
  const checks: string[] = [];
  const fail = (problem: VerifyProblem, file: string | null, message: string): PackageVerdict => ({ ok: false, problem, file, message, checks });

  const opened = await openPackageFiles(packagePath);
  if (!opened.ok) return fail('unreadable', null, `The package cannot be read: ${opened.why}.`);
  const byName = new Map<string, PackageFile>();
  for (const f of opened.files) {
    if (byName.has(f.name)) return fail('structure', f.name, `The package holds ${f.name} twice.`);
    byName.set(f.name, f);
  }
  for (const name of REQUIRED) if (!byName.has(name)) return fail('structure', name, `The package has no ${name}.`);
  checks.push(`structure: ${opened.kind === 'tar' ? `archive with folder ${opened.folder}/` : `folder ${opened.folder}/`} holding ${opened.files.length} files, ${REQUIRED.length} of them the package's own`);

  let key: KeyObject;
  let fingerprint: string;
  try {
    key = parsePublicKeyPem((await byName.get(PACKAGE_FILES.publicKey)!.read(MAX_SMALL_FILE)).toString('utf8'));
    fingerprint = publicKeyFingerprint(key);
  } catch {
    return fail('public_key', PACKAGE_FILES.publicKey, `${PACKAGE_FILES.publicKey} is not a readable Ed25519 public key: it was damaged or replaced.`);
  }
  checks.push(`public key: Ed25519, fingerprint ${fingerprint}`);

  let sumsBytes: Buffer;
  try {
    sumsBytes = await byName.get(PACKAGE_FILES.sums)!.read(MAX_SMALL_FILE);
  } catch {
    return fail('hash_list', PACKAGE_FILES.sums, `${PACKAGE_FILES.sums} is far larger than a list of hashes: it was replaced.`);
  }
  const sums = parseSha256Sums(sumsBytes.toString('utf8'));
  if (!sums.ok) return fail('hash_list', PACKAGE_FILES.sums, `${PACKAGE_FILES.sums} is not a valid list of hashes (${sums.why}): it was changed.`);
  const listed = new Set(sums.lines.map((l) => l.name));
  for (const l of sums.lines) {
    if (l.name === PACKAGE_FILES.sums || l.name === PACKAGE_FILES.signature || !byName.has(l.name)) {
      return fail('hash_list', PACKAGE_FILES.sums, `${PACKAGE_FILES.sums} lists "${l.name}", which is not a file it can cover in this package: it was changed, or a file was removed.`);
    }
  }
  for (const f of opened.files) {
    if (f.name !== PACKAGE_FILES.sums && f.name !== PACKAGE_FILES.signature && !listed.has(f.name)) {
      return fail('structure', f.name, `${f.name} is not covered by ${PACKAGE_FILES.sums}: it was added to the package after signing.`);
    }
  }
  checks.push(`${PACKAGE_FILES.sums}: well formed, covers all ${sums.lines.length} other files`);

  const sigFile = byName.get(PACKAGE_FILES.signature)!;
  const signature = sigFile.sizeBytes === 64 ? await sigFile.read(64) : null;
  const signatureValid = signature !== null && verifySignature(key, sumsBytes, signature);
  const actual = new Map<string, string>();
  for (const l of sums.lines) actual.set(l.name, await byName.get(l.name)!.sha256());
  const mismatched = sums.lines.filter((l) => actual.get(l.name) !== l.sha256);
  const expected = expectedKeyProblem(fingerprint, opts);

  if (!signatureValid) {
    const keyChanged = mismatched.some((l) => l.name === PACKAGE_FILES.publicKey);
    const manifestFp = await manifestFingerprint(byName.get(PACKAGE_FILES.manifest)!);
    if (keyChanged && (manifestFp === null || !fingerprintMatches(fingerprint, manifestFp))) {
      return fail('public_key', PACKAGE_FILES.publicKey, `${PACKAGE_FILES.publicKey} was changed after signing: the signature does not verify with it, its SHA-256 differs from ${PACKAGE_FILES.sums}${manifestFp ? ` and its fingerprint ${fingerprint} from the manifest's ${manifestFp}` : ''}.`);
    }
    if (expected) return fail('unexpected_key', PACKAGE_FILES.publicKey, expected);
    if (signature === null) return fail('signature', PACKAGE_FILES.signature, `${PACKAGE_FILES.signature} is not an Ed25519 signature (${sigFile.sizeBytes} bytes, not 64): it was changed.`);
    const line = mismatched[0];
    if (line) {
      return fail('hash_list', PACKAGE_FILES.sums, `${PACKAGE_FILES.sums} was changed after signing: its signature does not verify, and its line for ${line.name} does not match that file.`);
    }
    return fail('signature', PACKAGE_FILES.signature, `The signature in ${PACKAGE_FILES.signature} does not match ${PACKAGE_FILES.sums} and the enclosed key: the signature was changed, or ${PACKAGE_FILES.sums} was rewritten after signing to match a replaced file.`);
  }
  checks.push(`signature: ${PACKAGE_FILES.signature} is a valid Ed25519 signature of ${PACKAGE_FILES.sums} by the enclosed key`);
  if (expected) return fail('unexpected_key', PACKAGE_FILES.publicKey, expected);
  const keyCompared = opts.expectedFingerprint !== undefined || opts.expectedPublicKeyPem !== undefined;
  checks.push(keyCompared ? 'signer: the enclosed key is the expected one' : 'signer: not compared with an expected key (give --fingerprint or --public-key to check who signed)');

  const bad = mismatched[0];
  if (bad) return fail('file_hash', bad.name, `${bad.name} was changed after the package was signed: its SHA-256 is not the one in ${PACKAGE_FILES.sums}.`);
  for (const l of sums.lines) checks.push(`SHA-256 matches: ${l.name} (${byName.get(l.name)!.sizeBytes} bytes)`);

  let manifestValue: unknown;
  try {
    manifestValue = JSON.parse((await byName.get(PACKAGE_FILES.manifest)!.read(MAX_SMALL_FILE)).toString('utf8'));
  } catch {
    return fail('manifest', PACKAGE_FILES.manifest, `${PACKAGE_FILES.manifest} is not valid JSON, although it is the signed one: the package was made wrongly.`);
  }
  const files = new Map([...byName.values()].map((f) => [f.name, { sizeBytes: f.sizeBytes, sha256: actual.get(f.name) ?? '' }]));
  const verdict = checkManifest(manifestValue, { files, fingerprint, folder: opened.kind === 'tar' ? opened.folder : undefined });
  if (!verdict.ok) return fail('manifest', PACKAGE_FILES.manifest, `${PACKAGE_FILES.manifest} is not consistent: ${verdict.why}.`);
  const m = verdict.manifest;
  checks.push(
    `manifest: camera ${m.camera.id}, asked ${m.askedRange.start.iso} – ${m.askedRange.end.iso}, actual ${m.actualRange.start.iso} – ${m.actualRange.end.iso}, ${m.gaps.length} gap(s), ${m.sourceSegments.length} source segment(s), case ${m.case.reference}, exported by ${m.exportedBy.username}`,
  );
  return { ok: true, checks, manifest: m, fingerprint, keyCompared };
}

function expectedKeyProblem(fingerprint: string, opts: VerifyOptions): string | null {
  if (opts.expectedPublicKeyPem !== undefined) {
    let want: string;
    try {
      want = publicKeyFingerprint(parsePublicKeyPem(opts.expectedPublicKeyPem));
    } catch {
      return 'The expected public key given is not a readable Ed25519 public key.';
    }
    if (want !== fingerprint) return `The package is signed by key ${fingerprint}, not by the expected key ${want}.`;
  }
  if (opts.expectedFingerprint !== undefined && !fingerprintMatches(fingerprint, opts.expectedFingerprint)) {
    return `The package is signed by key ${fingerprint}, not by the expected key ${opts.expectedFingerprint}.`;
  }
  return null;
}

async function manifestFingerprint(f: PackageFile): Promise<string | null> {
  try {
    const v = JSON.parse((await f.read(MAX_SMALL_FILE)).toString('utf8')) as { signing?: { fingerprint?: unknown } };
    return typeof v?.signing?.fingerprint === 'string' ? v.signing.fingerprint : null;
  } catch {
    return null;
  }
}
