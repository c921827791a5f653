import { z } from 'zod';
import { isVigilError } from '../errors.ts';
import { parseIsoMs } from '../time.ts';
import { MANIFEST_FORMAT, PACKAGE_FILES, packageFolderName, type EvidenceManifest, type Instant, type ManifestRange } from './manifest.ts';
import { fingerprintMatches } from './signing-key.ts';
import { backfilledRanges } from '../clip/backfilled-ranges.ts';

/**
 * Is a manifest consistent with itself and with the package it came in? Pure: the parsed
 * JSON and the facts of the package in, the first inconsistency (in plain words) or the typed
 * manifest out. Checked:
 *  - shape and format name; every ISO time parses and names the same instant as its epochMs;
 *  - asked and actual ranges are non-empty; the actual range shares time with the asked one,
 *    starts before the asked start only by the lead-in to a keyframe, which lies in the first
 *    source segment (segments are at most MAX_LEAD_IN_MS long), and ends after the asked end
 *    only by the rest of the fragment holding it, which lies in the last source segment (the
 *    clip builder ends a clip with that whole fragment, src/clip/prepare-clip.ts);
 *  - source segments: at least one, in time order, each with a SHA-256, together spanning the
 *    actual range's start and end;
 *  - gaps: inside the actual range, in order, not overlapping, each with a reason;
 *  - backfilled parts (when listed; older packages have none): inside the actual range, in
 *    order, not overlapping, and exactly the time of the source segments marked 'backfill';
 *  - clips: at least one, each a file of the package with the size and SHA-256 stated;
 *  - signing: the fingerprint is that of the enclosed public key; the package id matches the
 *    folder name when the package is the .tar Vigil wrote.
 */
export const MAX_LEAD_IN_MS = 10 * 60_000; // = MAX_SEGMENT_DURATION_MS of the index

const sha = z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be 64 lowercase hex digits' });
const instantSchema = z.strictObject({ iso: z.string(), epochMs: z.number().int() });
const rangeSchema = z.strictObject({ start: instantSchema, end: instantSchema });
const nonEmpty = z.string().trim().min(1, { error: 'must not be empty' });

const manifestSchema = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  packageId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/),
  createdAt: instantSchema,
  timeZone: nonEmpty,
  vigilVersion: nonEmpty,
  camera: z.strictObject({ id: nonEmpty, name: z.string().nullable(), clockOffsetMs: z.number().int().nullable(), clockOffsetMeasuredAt: instantSchema.nullable() }),
  site: z.strictObject({ id: z.string().nullable(), name: z.string().nullable() }),
  case: z.strictObject({ id: nonEmpty, reference: nonEmpty, title: z.string() }),
  exportedBy: z.strictObject({ userId: nonEmpty, username: nonEmpty }),
  reason: nonEmpty,
  askedRange: rangeSchema,
  actualRange: rangeSchema,
  gaps: z.array(rangeSchema.extend({ reason: nonEmpty })),
  sourceSegments: z.array(z.strictObject({ objectKey: nonEmpty, sha256: sha, start: instantSchema, durationMs: z.number().int().positive(), source: z.enum(['live', 'backfill']).optional() })),
  backfilled: z.array(rangeSchema).optional(),
  clips: z.array(z.strictObject({ name: nonEmpty, contentType: z.literal('video/mp4'), sizeBytes: z.number().int().nonnegative(), sha256: sha })),
  signing: z.strictObject({
    algorithm: z.literal('Ed25519'),
    fingerprint: nonEmpty,
    publicKeyFile: z.literal(PACKAGE_FILES.publicKey),
    signedFile: z.literal(PACKAGE_FILES.sums),
    signatureFile: z.literal(PACKAGE_FILES.signature),
  }),
});

export interface PackageFacts {
  /** Files of the package by name, with their real size and SHA-256. */
  files: ReadonlyMap<string, { sizeBytes: number; sha256: string }>;
  /** Fingerprint of the enclosed public key. */
  fingerprint: string;
  /** The tar's folder name, when the package is a tar (a folder a person extracted may be renamed). */
  folder?: string | undefined;
}

export type ManifestVerdict = { ok: true; manifest: EvidenceManifest } | { ok: false; why: string };

export function checkManifest(value: unknown, facts: PackageFacts): ManifestVerdict {
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : 'the manifest';
    return { ok: false, why: `${where}: ${issue.message}` };
  }
  const m = parsed.data as EvidenceManifest;
  const why = firstProblem(m, facts);
  return why === null ? { ok: true, manifest: m } : { ok: false, why };
}

function firstProblem(m: EvidenceManifest, facts: PackageFacts): string | null {
  const instants: Array<[string, Instant]> = [
    ['createdAt', m.createdAt],
    ['askedRange.start', m.askedRange.start],
    ['askedRange.end', m.askedRange.end],
    ['actualRange.start', m.actualRange.start],
    ['actualRange.end', m.actualRange.end],
    ...m.gaps.flatMap((g, i): Array<[string, Instant]> => [[`gaps.${i}.start`, g.start], [`gaps.${i}.end`, g.end]]),
    ...m.sourceSegments.map((s, i): [string, Instant] => [`sourceSegments.${i}.start`, s.start]),
    ...(m.backfilled ?? []).flatMap((b, i): Array<[string, Instant]> => [[`backfilled.${i}.start`, b.start], [`backfilled.${i}.end`, b.end]]),
    ...(m.camera.clockOffsetMeasuredAt ? [['camera.clockOffsetMeasuredAt', m.camera.clockOffsetMeasuredAt] as [string, Instant]] : []),
  ];
  for (const [where, t] of instants) {
    const p = instantProblem(t);
    if (p) return `${where}: ${p}`;
  }
  const asked = ms(m.askedRange);
  const actual = ms(m.actualRange);
  if (asked.end <= asked.start) return 'askedRange: ends before it starts (or is empty)';
  if (actual.end <= actual.start) return 'actualRange: ends before it starts (or is empty)';
  if (actual.end - asked.end > MAX_LEAD_IN_MS) return `actualRange: ends ${actual.end - asked.end} ms after the asked end, more than the ${MAX_LEAD_IN_MS} ms to the end of the fragment holding it`;
  if (actual.end <= asked.start || actual.start >= asked.end) return 'actualRange: shares no time with the asked range';
  if (asked.start - actual.start > MAX_LEAD_IN_MS) return `actualRange: starts ${asked.start - actual.start} ms before the asked start, more than the ${MAX_LEAD_IN_MS} ms lead-in to a keyframe`;

  if (m.sourceSegments.length === 0) return 'sourceSegments: is empty (a clip is cut from at least one stored segment)';
  for (let i = 1; i < m.sourceSegments.length; i++) {
    if (m.sourceSegments[i]!.start.epochMs < m.sourceSegments[i - 1]!.start.epochMs) return `sourceSegments.${i}: starts before the segment listed before it`;
  }
  const first = m.sourceSegments[0]!;
  const last = m.sourceSegments[m.sourceSegments.length - 1]!;
  if (first.start.epochMs > actual.start) return 'sourceSegments: the first segment starts after the clip does';
  if (last.start.epochMs + last.durationMs < actual.end) return 'sourceSegments: the last segment ends before the clip does';

  let cursor = actual.start;
  for (const [i, g] of m.gaps.entries()) {
    const r = ms(g);
    if (r.end <= r.start) return `gaps.${i}: ends before it starts (or is empty)`;
    if (r.start < cursor) return `gaps.${i}: overlaps the gap before it or starts before the clip`;
    if (r.end > actual.end) return `gaps.${i}: ends after the clip`;
    cursor = r.end;
  }

  const backfillProblem = backfilledProblem(m, actual);
  if (backfillProblem) return backfillProblem;

  if (m.clips.length === 0) return 'clips: is empty (the package holds no video)';
  const names = new Set<string>();
  for (const [i, c] of m.clips.entries()) {
    if (names.has(c.name)) return `clips.${i}: ${c.name} is listed twice`;
    names.add(c.name);
    const f = facts.files.get(c.name);
    if (!f) return `clips.${i}: ${c.name} is not in the package`;
    if (f.sizeBytes !== c.sizeBytes) return `clips.${i}: ${c.name} has ${f.sizeBytes} bytes, the manifest says ${c.sizeBytes}`;
    if (f.sha256 !== c.sha256) return `clips.${i}: the SHA-256 of ${c.name} is not the one in the manifest`;
  }
  if (!fingerprintMatches(facts.fingerprint, m.signing.fingerprint)) {
    return `signing.fingerprint: ${m.signing.fingerprint} is not the fingerprint of the enclosed public key (${facts.fingerprint})`;
  }
  if (facts.folder !== undefined && facts.folder !== packageFolderName(m.packageId)) {
    return `packageId: ${m.packageId} does not match the package folder ${facts.folder}`;
  }
  return null;
}

/** The listed backfilled parts must be exactly the backfill segments' time within the clip. */
function backfilledProblem(m: EvidenceManifest, actual: { start: number; end: number }): string | null {
  const marked = m.sourceSegments.filter((s) => s.source === 'backfill');
  if (m.backfilled === undefined) return marked.length ? 'backfilled: is missing although source segments are marked backfill' : null;
  const want = backfilledRanges(
    marked.map((s) => ({ startMs: s.start.epochMs, durationMs: s.durationMs, source: 'backfill' as const })),
    { startMs: actual.start, endMs: actual.end },
  );
  let cursor = actual.start;
  for (const [i, b] of m.backfilled.entries()) {
    const r = ms(b);
    if (r.end <= r.start) return `backfilled.${i}: ends before it starts (or is empty)`;
    if (r.start < cursor) return `backfilled.${i}: overlaps the part before it or starts before the clip`;
    if (r.end > actual.end) return `backfilled.${i}: ends after the clip`;
    cursor = r.end;
    const w = want[i];
    if (!w || w.startMs !== r.start || w.endMs !== r.end) return `backfilled.${i}: is not the time of the source segments marked backfill`;
  }
  if (want.length !== m.backfilled.length) return `backfilled: lists ${m.backfilled.length} parts, the source segments marked backfill make ${want.length}`;
  return null;
}

function instantProblem(t: Instant): string | null {
  let parsed: number;
  try {
    parsed = parseIsoMs(t.iso);
  } catch (e) {
    return isVigilError(e) ? `"${t.iso}" is not an ISO 8601 time with an offset` : String(e);
  }
  return parsed === t.epochMs ? null : `"${t.iso}" is ${parsed} ms, not ${t.epochMs} ms as stated`;
}

function ms(r: ManifestRange): { start: number; end: number } {
  return { start: r.start.epochMs, end: r.end.epochMs };
}
