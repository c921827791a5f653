import { createRoute, z } from '@hono/zod-openapi';
import type { AuditEntry } from '../../src/audit/audit-log.ts';
import type { AuditQueryFilter } from '../../src/db/audit-repo.ts';
import { VigilError } from '../../src/errors.ts';
import { parseIsoMs } from '../../src/time.ts';
import type { AppContext } from '../app-context.ts';
import type { EvidenceServices } from '../app-deps.ts';
import { defineRoute, NO_SITE, type ApiRouteDef } from '../route-def.ts';
import { EpochMs, IsoTime, isoOrNull, isoTimeParam } from '../time-fields.ts';

/**
 * The audit log for admins: GET /audit (filters, newest first, paged by seq) and
 * GET /audit/verify (walks the hash chain; 200 with ok false and the first bad row when it was
 * tampered with). An admin scoped to sites sees only the rows about cameras and cases of
 * those sites (the log is personal data too); rows about neither (logins, accounts) are for
 * unscoped admins. Filtering happens page by page, so paging stays exact: nextBefore is the
 * seq to continue below, also when a scan stopped before filling the page.
 */
const AuditEntrySchema = z
  .object({
    seq: z.number().int(),
    at: IsoTime,
    atMs: EpochMs,
    actor: z.object({ userId: z.string(), username: z.string() }).nullable(),
    action: z.string().openapi({ example: 'clip.view' }),
    cameraId: z.string().nullable(),
    start: IsoTime.nullable(),
    startMs: EpochMs.nullable(),
    end: IsoTime.nullable(),
    endMs: EpochMs.nullable(),
    caseId: z.string().nullable(),
    ip: z.string().nullable(),
    reason: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()),
    hash: z.string(),
  })
  .openapi('AuditEntry');

const VerifySchema = z
  .object({
    ok: z.boolean(),
    rowsChecked: z.number().int(),
    head: z.object({ seq: z.number().int(), hash: z.string() }).nullable().openapi({ description: 'Keep it: passing it back later also detects rows cut from the end' }),
    seq: z.number().int().nullable().openapi({ description: 'First row that does not match' }),
    problem: z.enum(['row_missing', 'out_of_order', 'chain_broken', 'row_modified', 'head_mismatch']).nullable(),
    message: z.string(),
  })
  .openapi('AuditVerification');

const DIGITS = (max: number) => z.string().regex(new RegExp(`^\\d{1,${max}}$`), { error: 'must be a whole number' });
const param = (name: string) => ({ param: { name, in: 'query' as const } });
/** Rows looked at per request for a scoped admin before answering with what was found. */
const MAX_SCAN_PAGES = 20;

export function auditRoutes(ctx: AppContext, ev: EvidenceServices): ApiRouteDef[] {
  const tz = ctx.deps.config.timeZone;
  const view = (e: AuditEntry) => ({
    seq: e.seq,
    at: isoOrNull(e.atMs, tz)!,
    atMs: e.atMs,
    actor: e.actor,
    action: e.action,
    cameraId: e.cameraId,
    start: isoOrNull(e.startMs, tz),
    startMs: e.startMs,
    end: isoOrNull(e.endMs, tz),
    endMs: e.endMs,
    caseId: e.caseId,
    ip: e.ip,
    reason: e.reason,
    detail: e.detail,
    hash: e.hash,
  });

  const list = defineRoute(
    createRoute({
      method: 'get',
      path: '/api/v1/audit',
      summary: 'Audit log entries, newest first, filtered; page with before=nextBefore',
      tags: ['audit'],
      request: {
        query: z.object({
          cameraId: z.string().max(200).optional().openapi(param('cameraId')),
          actorId: z.string().max(200).optional().openapi(param('actorId')),
          action: z.string().max(100).optional().openapi({ ...param('action'), example: 'clip.view' }),
          caseId: z.string().max(200).optional().openapi(param('caseId')),
          from: isoTimeParam('from', '2026-03-03T00:00:00+07:00').optional(),
          to: isoTimeParam('to', '2026-03-04T00:00:00+07:00').optional(),
          limit: DIGITS(4).optional().openapi({ ...param('limit'), description: '1–1000, default 100' }),
          before: DIGITS(15).optional().openapi({ ...param('before'), description: 'Only rows with seq below this (nextBefore of the previous page)' }),
        }),
      },
      responses: { 200: { description: 'Entries', content: { 'application/json': { schema: z.object({ entries: z.array(AuditEntrySchema), nextBefore: z.number().int().nullable() }) } } } },
    }),
    { permission: 'audit.view', site: NO_SITE },
    async (c) => {
      const q = c.req.valid('query');
      const filter: AuditQueryFilter = {
        cameraId: q.cameraId,
        actorId: q.actorId,
        action: q.action,
        caseId: q.caseId,
        fromMs: q.from === undefined ? undefined : parseIsoMs(q.from, 'from'),
        toMs: q.to === undefined ? undefined : parseIsoMs(q.to, 'to'),
      };
      const limit = q.limit === undefined ? 100 : Number(q.limit);
      if (limit < 1 || limit > 1000) throw new VigilError('invalid_request', 'limit must be from 1 to 1000', { invalidParams: [{ name: 'limit', in: 'query', reason: 'must be from 1 to 1000' }] });
      const scopes = c.get('principal').user.siteScopes;
      let beforeSeq = q.before === undefined ? undefined : Number(q.before);
      if (scopes.length === 0) {
        const page = await ev.auditLog.query(filter, { limit, beforeSeq });
        return c.json({ entries: page.entries.map(view), nextBefore: page.nextBeforeSeq }, 200);
      }
      const visible = scopeFilter(ctx, ev, scopes);
      const out: AuditEntry[] = [];
      for (let i = 0; i < MAX_SCAN_PAGES; i++) {
        const page = await ev.auditLog.query(filter, { limit, beforeSeq });
        for (const e of page.entries) {
          if (!(await visible(e))) continue;
          out.push(e);
          if (out.length === limit) return c.json({ entries: out.map(view), nextBefore: e.seq }, 200);
        }
        if (page.nextBeforeSeq === null) return c.json({ entries: out.map(view), nextBefore: null }, 200);
        beforeSeq = page.nextBeforeSeq;
      }
      return c.json({ entries: out.map(view), nextBefore: beforeSeq ?? null }, 200);
    },
  );

  const verify = defineRoute(
    createRoute({
      method: 'get',
      path: '/api/v1/audit/verify',
      summary: 'Check the audit log’s hash chain; names the first modified, missing or re-ordered row',
      tags: ['audit'],
      request: {
        query: z.object({
          headSeq: DIGITS(15).optional().openapi({ ...param('headSeq'), description: 'A head kept earlier (with headHash): rows cut from the end are then detected too' }),
          headHash: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be a hex SHA-256' }).optional().openapi(param('headHash')),
        }),
      },
      responses: { 200: { description: 'The result (ok false names the first bad row)', content: { 'application/json': { schema: VerifySchema } } } },
    }),
    { permission: 'audit.view', site: NO_SITE },
    async (c) => {
      const q = c.req.valid('query');
      if ((q.headSeq === undefined) !== (q.headHash === undefined)) {
        throw new VigilError('invalid_request', 'give headSeq and headHash together, or neither', { invalidParams: [{ name: q.headSeq === undefined ? 'headSeq' : 'headHash', in: 'query', reason: 'is needed with the other' }] });
      }
      const r = await ev.auditLog.verify(q.headSeq === undefined ? {} : { expectedHead: { seq: Number(q.headSeq), hash: q.headHash! } });
      if (r.ok) return c.json({ ok: true, rowsChecked: r.rowsChecked, head: r.head, seq: null, problem: null, message: `the chain of ${r.rowsChecked} rows is intact` }, 200);
      return c.json({ ok: false, rowsChecked: r.rowsChecked, head: null, seq: r.seq, problem: r.problem, message: r.message }, 200);
    },
  );

  return [list, verify];
}

/** Whether a scoped admin may see an entry: its camera's site, else its case's site, is in scope. */
function scopeFilter(ctx: AppContext, ev: EvidenceServices, scopes: readonly string[]): (e: AuditEntry) => Promise<boolean> {
  const cameraSites = new Map<string, string | null | undefined>();
  const caseSites = new Map<string, string | null | undefined>();
  return async (e) => {
    if (e.cameraId !== null) {
      if (!cameraSites.has(e.cameraId)) cameraSites.set(e.cameraId, (await ctx.cameras.get(e.cameraId))?.siteId);
      const site = cameraSites.get(e.cameraId);
      return site !== undefined && ctx.sites.covers(scopes, site);
    }
    if (e.caseId !== null) {
      if (!caseSites.has(e.caseId)) caseSites.set(e.caseId, (await ev.cases.getCase(e.caseId))?.siteId);
      const site = caseSites.get(e.caseId);
      return site !== undefined && ctx.sites.covers(scopes, site);
    }
    return false;
  };
}
