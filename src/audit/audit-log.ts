import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import { AuditRepo, type AuditQueryFilter } from '../db/audit-repo.ts';
import type { Database } from '../db/schema.ts';
import { VigilError } from '../errors.ts';
import { redactText, scrubSecrets } from '../redact.ts';
import { AuditChainWalker, type AuditChainHead, type AuditChainResult } from './audit-chain.ts';
import { AUDIT_GENESIS_HASH, auditRowHash, canonicalJson, type AuditRecord } from './audit-hash.ts';
import type { AuditEntryInput, AuditSink } from './audit-types.ts';

/**
 * The audit log: one append-only hash chain in the audit_log table (audit-hash.ts says what is
 * hashed, audit-chain.ts how it is checked).
 *
 * Appends never fork the chain:
 *  - in one process they run one after another (a promise queue), so concurrent callers get
 *    consecutive seq numbers in call order;
 *  - between processes sharing the database, each append takes the append lock (SQLite's
 *    write lock, PostgreSQL's table lock: AuditRepo.lockForAppend), reads the head and inserts
 *    at head + 1 in one transaction, and seq is the primary key: a second writer at the same
 *    position fails its insert and retries on the new head.
 * Time comes from the injected clock. Detail passes through scrubSecrets and reason through
 * redactText, so a careless caller cannot write a password into a row that can never change.
 */
export interface AuditLogOptions {
  db: Kysely<Database>;
  clock: Clock;
  /** Tries per append when another process wins the same position (default 8). */
  maxAttempts?: number;
}

export interface AuditEntry {
  seq: number;
  atMs: number;
  actor: { userId: string; username: string } | null;
  action: string;
  cameraId: string | null;
  startMs: number | null;
  endMs: number | null;
  caseId: string | null;
  ip: string | null;
  reason: string | null;
  detail: Record<string, unknown>;
  hash: string;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `beforeSeq` for the next (older) page; null when this was the last one. */
  nextBeforeSeq: number | null;
}

export const AUDIT_PAGE_MAX = 1000;
const ACTION = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*$/;
const VERIFY_PAGE = 1000;

export class AuditLog implements AuditSink {
  private readonly repo: AuditRepo;
  private queue: Promise<unknown> = Promise.resolve();
  /** Appends retried because another process held the log or took the position first. */
  contentionRetries = 0;

  constructor(private readonly o: AuditLogOptions) {
    this.repo = new AuditRepo(o.db);
  }

  async append(entry: AuditEntryInput): Promise<void> {
    await this.record(entry);
  }

  /** Appends and returns the stored row (with its seq and hash). */
  record(entry: AuditEntryInput): Promise<AuditRecord> {
    const fields = prepare(entry); // invalid input fails the caller at once, not the queue
    const run = this.queue.then(() => this.appendNow(fields));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async appendNow(fields: Omit<AuditRecord, 'seq' | 'atMs' | 'prevHash' | 'hash'>): Promise<AuditRecord> {
    const attempts = this.o.maxAttempts ?? 8;
    let lastError: unknown;
    for (let i = 0; i < attempts; i++) {
      try {
        return await this.o.db.transaction().execute(async (trx) => {
          // The append lock first (SQLite's write lock, PostgreSQL's table lock), so another
          // process waits instead of reading the same head; the primary key still backs it.
          await this.repo.lockForAppend(trx);
          const head = await this.repo.head(trx);
          const base = { ...fields, seq: (head?.seq ?? 0) + 1, atMs: this.o.clock.nowMs(), prevHash: head?.hash ?? AUDIT_GENESIS_HASH };
          const row: AuditRecord = { ...base, hash: auditRowHash(base) };
          await this.repo.insert(row, trx);
          return row;
        });
      } catch (e) {
        lastError = e;
        if (!isContention(e)) break;
        this.contentionRetries += 1;
      }
    }
    throw new VigilError('database_unavailable', `the audit entry "${fields.action}" could not be written: ${(lastError as Error)?.message ?? lastError}`, { hint: 'Check that the index database is writable; actions that must be audited are refused until it is.' }, { cause: lastError });
  }

  /** Entries newest first, filtered; page with nextBeforeSeq. */
  async query(filter: AuditQueryFilter = {}, page: { limit?: number; beforeSeq?: number } = {}): Promise<AuditPage> {
    const limit = page.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > AUDIT_PAGE_MAX) {
      throw new VigilError('invalid_range', `audit page size must be a whole number from 1 to ${AUDIT_PAGE_MAX} (got ${limit})`);
    }
    if (filter.fromMs !== undefined && filter.toMs !== undefined && filter.fromMs >= filter.toMs) {
      throw new VigilError('invalid_range', 'audit query: "from" must be before "to"');
    }
    const rows = await this.repo.query(filter, { limit: limit + 1, beforeSeq: page.beforeSeq });
    const more = rows.length > limit;
    const shown = rows.slice(0, limit);
    return { entries: shown.map(toEntry), nextBeforeSeq: more ? shown[shown.length - 1]!.seq : null };
  }

  /**
   * Walks the whole chain in order and returns the first row that does not match, or the head
   * (seq and hash) to keep as an anchor: passing it back later as expectedHead also detects
   * rows deleted from the end.
   */
  async verify(opts: { expectedHead?: AuditChainHead } = {}): Promise<AuditChainResult> {
    return verifyAuditChain(this.repo, opts.expectedHead);
  }
}

/** Walks the chain of the audit_log table page by page (see AuditChainWalker). */
export async function verifyAuditChain(source: Kysely<Database> | AuditRepo, expectedHead?: AuditChainHead): Promise<AuditChainResult> {
  const repo = source instanceof AuditRepo ? source : new AuditRepo(source);
  const walker = new AuditChainWalker(expectedHead);
  let after = 0;
  for (;;) {
    const rows = await repo.pageInOrder(after, VERIFY_PAGE);
    for (const r of rows) if (walker.push(r)) return walker.finish();
    if (rows.length < VERIFY_PAGE) return walker.finish();
    after = rows[rows.length - 1]!.seq;
  }
}

function prepare(e: AuditEntryInput): Omit<AuditRecord, 'seq' | 'atMs' | 'prevHash' | 'hash'> {
  if (typeof e.action !== 'string' || !ACTION.test(e.action)) {
    throw new VigilError('internal', `audit action ${JSON.stringify(e.action)} is not a stable verb like "clip.view" (lowercase words joined by dots)`);
  }
  for (const [k, v] of [['startMs', e.startMs], ['endMs', e.endMs]] as const) {
    if (v !== undefined && !Number.isSafeInteger(v)) throw new VigilError('invalid_time', `audit ${k} must be whole epoch milliseconds (got ${v})`);
  }
  let detail: string;
  try {
    detail = canonicalJson(scrubSecrets(e.detail ?? {}));
  } catch (err) {
    throw new VigilError('internal', `audit detail of "${e.action}" is not plain JSON: ${(err as Error).message}`);
  }
  return {
    actorId: e.actor?.userId ?? null,
    actorName: e.actor?.username ?? null,
    action: e.action,
    cameraId: e.cameraId ?? null,
    startMs: e.startMs ?? null,
    endMs: e.endMs ?? null,
    caseId: e.caseId ?? null,
    ip: e.ip ?? null,
    reason: e.reason === undefined ? null : redactText(e.reason),
    detail,
  };
}

/** A primary-key clash on seq or a lock held by another process: retry on the new head. */
function isContention(e: unknown): boolean {
  const code = String((e as { code?: unknown })?.code ?? '');
  const msg = String((e as Error)?.message ?? '');
  // PostgreSQL: 23505 unique violation, 55P03 lock_timeout, 40P01 deadlock, 40001 serialization.
  return code.startsWith('SQLITE_CONSTRAINT') || code.startsWith('SQLITE_BUSY') || ['23505', '55P03', '40P01', '40001'].includes(code) || /UNIQUE constraint failed: audit_log\.seq/.test(msg);
}

function toEntry(r: AuditRecord): AuditEntry {
  let detail: Record<string, unknown> = {};
  try {
    const v: unknown = JSON.parse(r.detail);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) detail = v as Record<string, unknown>;
  } catch {
    // a row edited into bad JSON is shown with empty detail; verify() names it
  }
  return {
    seq: r.seq,
    atMs: r.atMs,
    actor: r.actorId === null ? null : { userId: r.actorId, username: r.actorName ?? '' },
    action: r.action,
    cameraId: r.cameraId,
    startMs: r.startMs,
    endMs: r.endMs,
    caseId: r.caseId,
    ip: r.ip,
    reason: r.reason,
    detail,
    hash: r.hash,
  };
}
