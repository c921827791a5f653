import { z } from '@hono/zod-openapi';
import type { CaseClipRecord, CaseRecord } from '../src/db/cases-repo.ts';
import type { ExportRecord } from '../src/db/exports-repo.ts';
import type { HoldRecord } from '../src/db/holds-repo.ts';
import type { SiteTree } from './site-tree.ts';
import { EpochMs, IsoTime, isoOrNull, RangeFields, rangeFields } from './time-fields.ts';

/**
 * Cases, their clips and holds, and evidence exports as the API shows them: every time as ISO
 * 8601 in the office zone and epoch ms, people as id and username.
 */
const ActorSchema = z.object({ userId: z.string(), username: z.string() }).openapi('Actor');
const RangeSchema = z.object(RangeFields);

export const CaseSchema = z
  .object({
    id: z.string().openapi({ example: 'case-3f2a91bc7d0e4a11' }),
    reference: z.string().openapi({ example: 'KN-2026/031' }),
    title: z.string(),
    description: z.string(),
    site: z.object({ id: z.string(), name: z.string() }).nullable(),
    status: z.enum(['open', 'closed']),
    createdBy: ActorSchema,
    created: IsoTime,
    createdMs: EpochMs,
    updated: IsoTime,
    updatedMs: EpochMs,
    closed: IsoTime.nullable(),
    closedMs: EpochMs.nullable(),
  })
  .openapi('Case');

export const CaseClipSchema = z
  .object({ id: z.number().int(), caseId: z.string(), cameraId: z.string(), ...RangeFields, reason: z.string(), addedBy: ActorSchema, added: IsoTime, holdId: z.number().int() })
  .openapi('CaseClip');

export const HoldSchema = z
  .object({
    id: z.number().int(),
    caseId: z.string(),
    cameraId: z.string(),
    ...RangeFields,
    active: z.boolean().openapi({ description: 'true: retention keeps this footage' }),
    createdBy: ActorSchema,
    created: IsoTime,
    released: IsoTime.nullable(),
    releasedBy: ActorSchema.nullable(),
    releaseReason: z.string().nullable(),
  })
  .openapi('LegalHold');

export const ExportSchema = z
  .object({
    id: z.string().openapi({ example: 'ev-20260303-9f3a1c02bd' }),
    caseId: z.string(),
    cameraId: z.string(),
    status: z.enum(['queued', 'running', 'done', 'failed']),
    progress: z.number().openapi({ description: '0..1' }),
    phase: z.string().openapi({ description: 'queued, clip, hashing, signing, packaging, checking, storing, done, failed' }),
    error: z.string().nullable(),
    reason: z.string(),
    requestedBy: ActorSchema,
    askedRange: RangeSchema,
    actualRange: RangeSchema.nullable(),
    created: IsoTime,
    started: IsoTime.nullable(),
    finished: IsoTime.nullable(),
    sizeBytes: z.number().int().nullable(),
    packageSha256: z.string().nullable(),
    keyFingerprint: z.string().nullable(),
    links: z.object({ self: z.string(), package: z.string().nullable() }),
  })
  .openapi('EvidenceExport');

export function caseView(r: CaseRecord, sites: SiteTree, tz: string): z.infer<typeof CaseSchema> {
  return {
    id: r.id,
    reference: r.reference,
    title: r.title,
    description: r.description,
    site: r.siteId === null ? null : { id: r.siteId, name: sites.get(r.siteId)?.name ?? r.siteId },
    status: r.status,
    createdBy: r.createdBy,
    created: isoOrNull(r.createdMs, tz)!,
    createdMs: r.createdMs,
    updated: isoOrNull(r.updatedMs, tz)!,
    updatedMs: r.updatedMs,
    closed: isoOrNull(r.closedMs, tz),
    closedMs: r.closedMs,
  };
}

export function caseClipView(r: CaseClipRecord, tz: string): z.infer<typeof CaseClipSchema> {
  return { id: r.id, caseId: r.caseId, cameraId: r.cameraId, ...rangeFields(r.startMs, r.endMs, tz), reason: r.reason, addedBy: r.addedBy, added: isoOrNull(r.addedMs, tz)!, holdId: r.holdId };
}

export function holdView(h: HoldRecord, tz: string): z.infer<typeof HoldSchema> {
  return {
    id: h.id,
    caseId: h.caseId,
    cameraId: h.cameraId,
    ...rangeFields(h.startMs, h.endMs, tz),
    active: h.releasedMs === null,
    createdBy: h.createdBy,
    created: isoOrNull(h.createdMs, tz)!,
    released: isoOrNull(h.releasedMs, tz),
    releasedBy: h.releasedBy,
    releaseReason: h.releaseReason,
  };
}

export function exportView(e: ExportRecord, tz: string): z.infer<typeof ExportSchema> {
  const self = `/api/v1/exports/${encodeURIComponent(e.id)}`;
  return {
    id: e.id,
    caseId: e.caseId,
    cameraId: e.cameraId,
    status: e.status,
    progress: e.progress,
    phase: e.phase,
    error: e.error,
    reason: e.reason,
    requestedBy: e.requestedBy,
    askedRange: rangeFields(e.askedStartMs, e.askedEndMs, tz),
    actualRange: e.actualStartMs !== null && e.actualEndMs !== null ? rangeFields(e.actualStartMs, e.actualEndMs, tz) : null,
    created: isoOrNull(e.createdMs, tz)!,
    started: isoOrNull(e.startedMs, tz),
    finished: isoOrNull(e.finishedMs, tz),
    sizeBytes: e.sizeBytes,
    packageSha256: e.packageSha256,
    keyFingerprint: e.keyFingerprint,
    links: { self, package: e.status === 'done' ? `${self}/package` : null },
  };
}
