import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditSink } from '../audit/audit-types.ts';
import type { Clock } from '../clock.ts';
import { CasesRepo, type Actor, type CaseClipRecord, type CaseListFilter, type CaseRecord } from '../db/cases-repo.ts';
import { HoldsRepo, type HoldRecord } from '../db/holds-repo.ts';
import type { Database } from '../db/schema.ts';
import { VigilError } from '../errors.ts';
import { isValidRange } from '../time.ts';

/**
 * Complaint cases: create, list, close and reopen them, attach clips. Attaching a clip puts
 * its range on a legal hold in the same transaction, so no clip of a case is ever unprotected.
 * Holds are released only on purpose (releaseHold, or closeCase with releaseHolds), with who
 * and why. Every change is one audit entry, written here so no caller can forget it: the API
 * passes the actor and address and does not audit these actions again.
 */
export interface ActorContext {
  actor: Actor;
  ip?: string | undefined;
}

export interface CaseServiceOptions {
  db: Kysely<Database>;
  clock: Clock;
  audit: AuditSink;
  /** New case ids; default `case-` + 16 random hex digits. */
  newCaseId?: () => string;
}

export interface NewCase {
  reference: string;
  title: string;
  description?: string | undefined;
  siteId?: string | null | undefined;
}

export interface NewCaseClip {
  cameraId: string;
  startMs: number;
  endMs: number;
  reason: string;
}

/** A case clip (and so a hold) covers at most this much footage. */
export const MAX_CASE_CLIP_MS = 24 * 3_600_000;
const LIMITS = { reference: 100, title: 200, description: 5000, reason: 1000 } as const;

export class CaseService {
  private readonly cases: CasesRepo;
  private readonly holds: HoldsRepo;
  private readonly newCaseId: () => string;

  constructor(private readonly o: CaseServiceOptions) {
    this.cases = new CasesRepo(o.db);
    this.holds = new HoldsRepo(o.db);
    this.newCaseId = o.newCaseId ?? (() => `case-${randomBytes(8).toString('hex')}`);
  }

  async createCase(input: NewCase, by: ActorContext): Promise<CaseRecord> {
    const reference = text('reference', input.reference, LIMITS.reference);
    const title = text('title', input.title, LIMITS.title);
    const description = input.description === undefined ? '' : text('description', input.description, LIMITS.description, { allowEmpty: true });
    const siteId = input.siteId ?? null;
    const now = this.o.clock.nowMs();
    const record: CaseRecord = { id: this.newCaseId(), reference, title, description, siteId, status: 'open', createdBy: by.actor, createdMs: now, updatedMs: now, closedMs: null };
    await this.o.db.transaction().execute(async (trx) => {
      const existing = await this.cases.findByReference(siteId, reference, trx);
      if (existing) {
        throw new VigilError('case_exists', `a case with reference "${reference}" already exists${siteId ? ` at site ${siteId}` : ''} ("${existing.title}")`, { hint: 'Open that case, or give this complaint its own reference.', caseId: existing.id });
      }
      await this.cases.insert(record, trx);
    });
    await this.o.audit.append({ actor: by.actor, ip: by.ip, action: 'case.create', caseId: record.id, detail: { reference, title, siteId } });
    return record;
  }

  getCase(id: string): Promise<CaseRecord | null> {
    return this.cases.get(id);
  }

  listCases(filter: CaseListFilter = {}): Promise<CaseRecord[]> {
    return this.cases.list(filter);
  }

  async updateCase(id: string, patch: { title?: string; description?: string }, by: ActorContext): Promise<CaseRecord> {
    await this.requireCase(id);
    const clean = {
      ...(patch.title !== undefined ? { title: text('title', patch.title, LIMITS.title) } : {}),
      ...(patch.description !== undefined ? { description: text('description', patch.description, LIMITS.description, { allowEmpty: true }) } : {}),
    };
    await this.cases.update(id, clean, this.o.clock.nowMs());
    await this.o.audit.append({ actor: by.actor, ip: by.ip, action: 'case.update', caseId: id, detail: { fields: Object.keys(clean) } });
    return (await this.cases.get(id))!;
  }

  /** Closes the case; with releaseHolds its footage goes back to normal retention. */
  async closeCase(id: string, by: ActorContext, opts: { releaseHolds?: boolean; reason?: string } = {}): Promise<{ case: CaseRecord; releasedHoldIds: number[] }> {
    const c = await this.requireCase(id);
    if (c.status === 'closed') return { case: c, releasedHoldIds: [] };
    const now = this.o.clock.nowMs();
    const reason = opts.reason === undefined ? 'case closed' : text('reason', opts.reason, LIMITS.reason);
    let released: number[] = [];
    await this.o.db.transaction().execute(async (trx) => {
      await this.cases.update(id, { status: 'closed', closedMs: now }, now, trx);
      if (opts.releaseHolds) released = await this.holds.release({ caseId: id }, by.actor, reason, now, trx);
    });
    await this.o.audit.append({ actor: by.actor, ip: by.ip, action: 'case.close', caseId: id, reason, detail: { releasedHoldIds: released } });
    return { case: (await this.cases.get(id))!, releasedHoldIds: released };
  }

  async reopenCase(id: string, by: ActorContext): Promise<CaseRecord> {
    const c = await this.requireCase(id);
    if (c.status === 'open') return c;
    await this.cases.update(id, { status: 'open', closedMs: null }, this.o.clock.nowMs());
    await this.o.audit.append({ actor: by.actor, ip: by.ip, action: 'case.reopen', caseId: id });
    return (await this.cases.get(id))!;
  }

  /** Attaches a clip to an open case and puts its range on hold (one transaction). */
  async addClip(caseId: string, clip: NewCaseClip, by: ActorContext): Promise<{ clip: CaseClipRecord; hold: HoldRecord }> {
    const reason = text('reason', clip.reason, LIMITS.reason);
    checkClipRange(clip);
    const now = this.o.clock.nowMs();
    const ids = await this.o.db.transaction().execute(async (trx) => {
      const c = await this.cases.get(caseId, trx);
      if (!c) throw notFound(caseId);
      if (c.status !== 'open') throw closed(c);
      const holdId = await this.holds.insert({ caseId, cameraId: clip.cameraId, startMs: clip.startMs, endMs: clip.endMs, createdBy: by.actor, createdMs: now }, trx);
      const clipId = await this.cases.insertClip({ caseId, cameraId: clip.cameraId, startMs: clip.startMs, endMs: clip.endMs, reason, addedBy: by.actor, addedMs: now, holdId }, trx);
      await this.cases.update(caseId, {}, now, trx);
      return { holdId, clipId };
    });
    await this.o.audit.append({ actor: by.actor, ip: by.ip, action: 'case.clip_add', caseId, cameraId: clip.cameraId, startMs: clip.startMs, endMs: clip.endMs, reason, detail: { clipId: ids.clipId, holdId: ids.holdId } });
    const clips = await this.cases.clips(caseId);
    return { clip: clips.find((x) => x.id === ids.clipId)!, hold: (await this.holds.get(ids.holdId))! };
  }

  clips(caseId: string): Promise<CaseClipRecord[]> {
    return this.cases.clips(caseId);
  }

  holdsOf(caseId: string, opts: { includeReleased?: boolean } = {}): Promise<HoldRecord[]> {
    return this.holds.forCase(caseId, opts);
  }

  /** Releases one hold (its footage returns to normal retention). Returns false when it was already released. */
  async releaseHold(holdId: number, reasonText: string, by: ActorContext): Promise<boolean> {
    const reason = text('reason', reasonText, LIMITS.reason);
    const hold = await this.holds.get(holdId);
    if (!hold) throw new VigilError('not_found', `there is no legal hold ${holdId}`);
    const released = await this.holds.release({ holdId }, by.actor, reason, this.o.clock.nowMs());
    if (released.length === 0) return false;
    await this.o.audit.append({ actor: by.actor, ip: by.ip, action: 'hold.release', caseId: hold.caseId, cameraId: hold.cameraId, startMs: hold.startMs, endMs: hold.endMs, reason, detail: { holdId } });
    return true;
  }

  /** The case, which must exist and be open (for exports). */
  async requireOpenCase(id: string): Promise<CaseRecord> {
    const c = await this.requireCase(id);
    if (c.status !== 'open') throw closed(c);
    return c;
  }

  private async requireCase(id: string): Promise<CaseRecord> {
    const c = await this.cases.get(id);
    if (!c) throw notFound(id);
    return c;
  }
}

function notFound(id: string): VigilError {
  return new VigilError('not_found', `there is no case "${id}"`, { hint: 'List the cases to find its id.' });
}

function closed(c: CaseRecord): VigilError {
  return new VigilError('case_closed', `case "${c.reference}" is closed`, { hint: 'Reopen the case first, or attach the footage to an open case.' });
}

export function checkClipRange(r: { startMs: number; endMs: number }): void {
  if (!isValidRange(r)) throw new VigilError('invalid_range', `the range ${r.startMs}–${r.endMs} is empty, reversed or not whole milliseconds`);
  if (r.endMs - r.startMs > MAX_CASE_CLIP_MS) throw new VigilError('invalid_range', `the range is longer than ${MAX_CASE_CLIP_MS / 3_600_000} hours; attach several shorter clips`);
}

function text(field: string, value: unknown, max: number, opts: { allowEmpty?: boolean } = {}): string {
  if (typeof value !== 'string') throw new VigilError('invalid_request', `${field} must be text`);
  const v = value.trim();
  if (!opts.allowEmpty && v.length === 0) throw new VigilError('invalid_request', `${field} is required; say it in a few words`);
  if (v.length > max) throw new VigilError('invalid_request', `${field} is longer than ${max} characters (${v.length})`);
  return v;
}
