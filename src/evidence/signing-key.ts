import { createHash, createPrivateKey, randomBytes, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { link, mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { VigilError } from '../errors.ts';

/**
 * The Ed25519 key that signs evidence packages. The private key lives in
 * <dataDir>/keys/evidence-ed25519.pem (PKCS#8 PEM, mode 0600, folder 0700), is made on first
 * use and never leaves this module: no log line, error or response carries it. A key file
 * that others may read is refused (as ssh does), since anyone holding it can forge evidence.
 *
 * Creation is atomic even when two processes start at once: the key is written to a temp file
 * and hard-linked into place, which fails if the file already exists; the loser reads the
 * winner's key. So an installation never silently gets two keys.
 *
 * Fingerprint: the first 128 bits of SHA-256 over the raw 32-byte public key, as 8 groups of
 * 4 hex digits ("3f2a-91bc-…"), short enough to read over the phone and compare on paper.
 */
export const SIGNING_KEY_RELATIVE_PATH = path.join('keys', 'evidence-ed25519.pem');

export interface EvidenceSigningKey {
  readonly publicKeyPem: string;
  readonly fingerprint: string;
  /** Ed25519 signature (64 bytes) over data. */
  sign(data: Buffer): Buffer;
}

export async function loadOrCreateSigningKey(dataDir: string): Promise<EvidenceSigningKey> {
  const file = path.join(path.resolve(dataDir), SIGNING_KEY_RELATIVE_PATH);
  let pem = await readKeyFile(file);
  if (pem === null) {
    await createKeyFile(file);
    pem = await readKeyFile(file);
    if (pem === null) throw new VigilError('evidence_key_unusable', `the evidence signing key ${file} vanished right after it was created`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new VigilError('evidence_key_unusable', `the evidence signing key ${file} is not a readable private key`, { hint: 'Restore it from backup. Packages signed with it can still be verified with their embedded public key.' });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new VigilError('evidence_key_unusable', `the evidence signing key ${file} is a ${privateKey.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  }
  const publicKey = createPublicKey(privateKey);
  const publicKeyPem = String(publicKey.export({ type: 'spki', format: 'pem' }));
  return {
    publicKeyPem,
    fingerprint: publicKeyFingerprint(publicKey),
    sign: (data) => sign(null, data, privateKey),
  };
}

/** Short fingerprint of an Ed25519 public key (KeyObject or SPKI PEM text). */
export function publicKeyFingerprint(key: KeyObject | string): string {
  const k = typeof key === 'string' ? parsePublicKeyPem(key) : key;
  const jwk = k.export({ format: 'jwk' }) as { x?: string };
  if (!jwk.x) throw new VigilError('evidence_key_unusable', 'the public key has no Ed25519 point');
  const hex = createHash('sha256').update(Buffer.from(jwk.x, 'base64url')).digest('hex').slice(0, 32);
  return hex.match(/.{4}/g)!.join('-');
}

/** The Ed25519 public key in PEM text, or a VigilError('evidence_key_unusable') saying why not. */
export function parsePublicKeyPem(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new VigilError('evidence_key_unusable', 'the text is not a PEM public key');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new VigilError('evidence_key_unusable', `the public key is ${key.asymmetricKeyType ?? 'unknown'}, not Ed25519`);
  return key;
}

/** Lowercase hex digits only, so "3F2A-91BC…", "3f2a91bc…" and "3f2a:91bc…" compare equal. */
export function normalizeFingerprint(fp: string): string {
  return fp.toLowerCase().replace(/[^0-9a-f]/g, '');
}

/** True when `given` (short fingerprint, or the full 64-digit SHA-256) names the key with this fingerprint. */
export function fingerprintMatches(fingerprint: string, given: string): boolean {
  const want = normalizeFingerprint(given);
  const have = normalizeFingerprint(fingerprint);
  return want.length >= 32 && want.slice(0, 32) === have;
}

export function verifySignature(publicKey: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    return verify(null, data, publicKey, signature);
  } catch {
    return false;
  }
}

async function readKeyFile(file: string): Promise<string | null> {
  let st;
  try {
    st = await stat(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw unusable(file, e);
  }
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new VigilError('evidence_key_unusable', `the evidence signing key ${file} can be read by other users (mode ${(st.mode & 0o777).toString(8)})`, { hint: `Run: chmod 600 ${file} (and check who could have copied it).` });
  }
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw unusable(file, e);
  }
}

async function createKeyFile(file: string): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.evidence-key-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(String(privateKey.export({ type: 'pkcs8', format: 'pem' })));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await link(tmp, file).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // another process made it first: use theirs
    });
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch (e) {
    throw unusable(file, e);
  } finally {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}

function unusable(file: string, e: unknown): VigilError {
  const code = (e as NodeJS.ErrnoException)?.code ?? 'error';
  return new VigilError('evidence_key_unusable', `cannot read or create the evidence signing key ${file} (${code})`, { hint: 'Check that the Vigil user owns dataDir and may write to it.' }, { cause: e });
}
