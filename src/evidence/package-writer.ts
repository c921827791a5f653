import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { buildManifest, PACKAGE_FILES, packageFolderName, type EvidenceManifest, type ManifestClipFile, type ManifestInput } from './manifest.ts';
import { readmeText } from './readme-text.ts';
import { formatSha256Sums } from './sha256sums.ts';
import type { EvidenceSigningKey } from './signing-key.ts';
import { writeTarFile, type TarInput } from './tar-writer.ts';

/**
 * Builds one evidence package: a ustar file `vigil-evidence-<id>/` holding the clip MP4(s),
 * manifest.json, README.txt, public-key.pem, SHA256SUMS (of those) and SHA256SUMS.sig (an
 * Ed25519 signature over SHA256SUMS, so it covers the manifest, the clips, the README and the
 * key). Tar, not zip: every system extracts it, `sha256sum -c` then works in the folder, and
 * the format is small enough to write here without a dependency.
 */
export interface PackageClipFile {
  /** The MP4 on local disk. */
  path: string;
  /** Its name in the package. */
  name: string;
}

export interface BuildPackageInput {
  destPath: string;
  clipFiles: readonly PackageClipFile[];
  manifest: Omit<ManifestInput, 'clipFiles' | 'fingerprint'>;
  key: EvidenceSigningKey;
  /** fraction 0..1 of each phase: hashing the clips, then writing the archive. */
  onProgress?: (phase: 'hashing' | 'packaging', fraction: number) => void;
}

export interface BuiltPackage {
  manifest: EvidenceManifest;
  sizeBytes: number;
  /** SHA-256 of the whole .tar. */
  sha256: string;
}

export async function buildEvidencePackage(i: BuildPackageInput): Promise<BuiltPackage> {
  const clips: ManifestClipFile[] = [];
  const total = (await Promise.all(i.clipFiles.map((c) => stat(c.path)))).reduce((a, s) => a + s.size, 0);
  let done = 0;
  for (const c of i.clipFiles) {
    const h = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(c.path, { highWaterMark: 1 << 20 })) {
      const b = chunk as Buffer;
      h.update(b);
      size += b.length;
      done += b.length;
      i.onProgress?.('hashing', total === 0 ? 1 : done / total);
    }
    clips.push({ name: c.name, contentType: 'video/mp4', sizeBytes: size, sha256: h.digest('hex') });
  }
  const manifest = buildManifest({ ...i.manifest, clipFiles: clips, fingerprint: i.key.fingerprint });
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  const readmeBytes = Buffer.from(readmeText(manifest), 'utf8');
  const keyBytes = Buffer.from(i.key.publicKeyPem, 'utf8');
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const sums = Buffer.from(
    formatSha256Sums([
      ...clips.map((c) => ({ name: c.name, sha256: c.sha256 })),
      { name: PACKAGE_FILES.manifest, sha256: sha(manifestBytes) },
      { name: PACKAGE_FILES.readme, sha256: sha(readmeBytes) },
      { name: PACKAGE_FILES.publicKey, sha256: sha(keyBytes) },
    ]),
    'utf8',
  );
  const signature = i.key.sign(sums);
  const folder = packageFolderName(manifest.packageId);
  const mtimeSec = Math.floor(i.manifest.createdMs / 1000);
  const file = (name: string, source: TarInput['source']): TarInput => ({ name: `${folder}/${name}`, type: 'file', mode: 0o644, mtimeSec, source });
  const entries: TarInput[] = [
    { name: folder, type: 'dir', mode: 0o755, mtimeSec },
    file(PACKAGE_FILES.readme, { data: readmeBytes }),
    file(PACKAGE_FILES.manifest, { data: manifestBytes }),
    ...i.clipFiles.map((c) => file(c.name, { filePath: c.path })),
    file(PACKAGE_FILES.publicKey, { data: keyBytes }),
    file(PACKAGE_FILES.sums, { data: sums }),
    file(PACKAGE_FILES.signature, { data: signature }),
  ];
  const tar = await writeTarFile(i.destPath, entries, (d, t) => i.onProgress?.('packaging', t === 0 ? 1 : d / t));
  return { manifest, ...tar };
}
