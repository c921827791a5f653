import type { ClipInfo } from '../clip/clip-types.ts';
import { toIsoInZone } from '../time.ts';

/**
 * manifest.json of an evidence package: what the footage is (camera, site, asked and actual
 * range, gaps with reasons, the stored segments it was cut from with their SHA-256 and source,
 * which parts were recovered from the camera's own storage, the camera's latest measured
 * clock offset), who exported it, why, for which case, when, with which Vigil, and how it is
 * signed. Every time is given twice: ISO 8601 with the office's offset (for people) and epoch
 * milliseconds UTC (for machines); the verifier checks that both say the same. Pure.
 */
export const MANIFEST_FORMAT = 'vigil-evidence-package/1';

export const PACKAGE_FILES = {
  manifest: 'manifest.json',
  sums: 'SHA256SUMS',
  signature: 'SHA256SUMS.sig',
  publicKey: 'public-key.pem',
  readme: 'README.txt',
} as const;

export interface Instant {
  iso: string;
  epochMs: number;
}

export interface ManifestRange {
  start: Instant;
  end: Instant;
}

export interface ManifestClipFile {
  name: string;
  contentType: 'video/mp4';
  sizeBytes: number;
  sha256: string;
}

export interface EvidenceManifest {
  format: typeof MANIFEST_FORMAT;
  packageId: string;
  createdAt: Instant;
  /** The office time zone the ISO times are written in. */
  timeZone: string;
  vigilVersion: string;
  camera: {
    id: string;
    name: string | null;
    /** Camera clock minus Vigil's at the latest measurement (onboarding or the clock watch), ms (positive: the camera was ahead); null when not measured. */
    clockOffsetMs: number | null;
    clockOffsetMeasuredAt: Instant | null;
  };
  site: { id: string | null; name: string | null };
  case: { id: string; reference: string; title: string };
  exportedBy: { userId: string; username: string };
  reason: string;
  askedRange: ManifestRange;
  /** What the clip really covers: from the keyframe at or before the asked start. */
  actualRange: ManifestRange;
  /** Parts of the actual range with no footage, in order, with why. */
  gaps: Array<ManifestRange & { reason: string }>;
  /**
   * source: 'live' (recorded as it happened) or 'backfill' (recovered afterwards from the
   * camera's own storage, placed on Vigil's time with the camera's clock offset). Packages
   * made before backfill existed have no source: all their footage was live.
   */
  sourceSegments: Array<{ objectKey: string; sha256: string; start: Instant; durationMs: number; source?: 'live' | 'backfill' }>;
  /** Parts of the actual range recovered from the camera's own storage (SD card), in order; absent in older packages. */
  backfilled?: ManifestRange[];
  clips: ManifestClipFile[];
  signing: {
    algorithm: 'Ed25519';
    fingerprint: string;
    publicKeyFile: typeof PACKAGE_FILES.publicKey;
    signedFile: typeof PACKAGE_FILES.sums;
    signatureFile: typeof PACKAGE_FILES.signature;
  };
}

export interface CameraFacts {
  id: string;
  name: string | null;
  siteId: string | null;
  siteName: string | null;
  clockOffsetMs: number | null;
  clockOffsetMeasuredMs: number | null;
}

export interface ManifestInput {
  packageId: string;
  createdMs: number;
  timeZone: string;
  vigilVersion: string;
  camera: CameraFacts;
  case: { id: string; reference: string; title: string };
  exportedBy: { userId: string; username: string };
  reason: string;
  clip: ClipInfo;
  clipFiles: ManifestClipFile[];
  fingerprint: string;
}

export function instant(ms: number, timeZone: string): Instant {
  return { iso: toIsoInZone(ms, timeZone), epochMs: ms };
}

export function buildManifest(i: ManifestInput): EvidenceManifest {
  const at = (ms: number) => instant(ms, i.timeZone);
  return {
    format: MANIFEST_FORMAT,
    packageId: i.packageId,
    createdAt: at(i.createdMs),
    timeZone: i.timeZone,
    vigilVersion: i.vigilVersion,
    camera: {
      id: i.camera.id,
      name: i.camera.name,
      clockOffsetMs: i.camera.clockOffsetMs,
      clockOffsetMeasuredAt: i.camera.clockOffsetMeasuredMs === null ? null : at(i.camera.clockOffsetMeasuredMs),
    },
    site: { id: i.camera.siteId, name: i.camera.siteName },
    case: { ...i.case },
    exportedBy: { ...i.exportedBy },
    reason: i.reason,
    askedRange: { start: at(i.clip.askedStartMs), end: at(i.clip.askedEndMs) },
    actualRange: { start: at(i.clip.actualStartMs), end: at(i.clip.actualEndMs) },
    gaps: i.clip.gaps.map((g) => ({ start: at(g.startMs), end: at(g.endMs), reason: g.reason })),
    sourceSegments: i.clip.segments.map((s) => ({ objectKey: s.objectKey, sha256: s.sha256, start: at(s.startMs), durationMs: s.durationMs, source: s.source ?? 'live' })),
    backfilled: (i.clip.backfilled ?? []).map((r) => ({ start: at(r.startMs), end: at(r.endMs) })),
    clips: i.clipFiles.map((f) => ({ ...f })),
    signing: { algorithm: 'Ed25519', fingerprint: i.fingerprint, publicKeyFile: PACKAGE_FILES.publicKey, signedFile: PACKAGE_FILES.sums, signatureFile: PACKAGE_FILES.signature },
  };
}

/** The package's folder name inside the tar. */
export function packageFolderName(packageId: string): string {
  return `vigil-evidence-${packageId}`;
}

/** The name a downloaded package should have (the API's Content-Disposition, the README's commands). */
export function packageFileName(packageId: string): string {
  return `${packageFolderName(packageId)}.tar`;
}

/** A clip's file name: camera and local start time, e.g. ward-x-counter-3_20260303-094000.mp4. */
export function clipFileName(cameraId: string, startMs: number, timeZone: string): string {
  const iso = toIsoInZone(startMs, timeZone); // 2026-03-03T09:40:00.000+07:00
  const stamp = `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
  return `${cameraId}_${stamp}.mp4`;
}
