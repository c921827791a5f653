import { AUDIT_GENESIS_HASH, auditRowHash, type AuditRecord } from './audit-hash.ts';

/**
 * Walks the audit chain in seq order and stops at the first row that does not match. Pure
 * (rows in, verdict out), fed page by page so a long log is never held in memory.
 *
 * Per row, in this order:
 *  1. position: seq must be the previous seq + 1 (the first row is 1). A higher seq means rows
 *     were deleted (`row_missing`, naming the first missing seq); a lower or equal one means
 *     the rows do not come in chain order (`out_of_order`).
 *  2. link: prevHash must equal the previous row's hash (`chain_broken`). Rows swapped or
 *     moved, a prev_hash edited, or the previous row rewritten together with its hash.
 *  3. content: the hash recomputed from the stored fields must equal the stored one
 *     (`row_modified`): any field edited in place.
 * The last row can be deleted without breaking a link; an anchor kept elsewhere
 * (`expectedHead`, e.g. the head printed in a report) detects that (`head_mismatch`).
 */
export type AuditChainProblem = 'row_missing' | 'out_of_order' | 'chain_broken' | 'row_modified' | 'head_mismatch';

export interface AuditChainHead {
  seq: number;
  hash: string;
}

export type AuditChainResult =
  | { ok: true; rowsChecked: number; head: AuditChainHead | null }
  | { ok: false; rowsChecked: number; seq: number; problem: AuditChainProblem; message: string };

type Failure = Extract<AuditChainResult, { ok: false }>;

export class AuditChainWalker {
  private expectedSeq = 1;
  private prevHash = AUDIT_GENESIS_HASH;
  private rowsChecked = 0;
  private failure: Failure | null = null;
  private anchorSeen = false;

  constructor(private readonly expectedHead?: AuditChainHead) {}

  /** Checks the next row; returns the failure (also remembered) or null. */
  push(row: AuditRecord): Failure | null {
    if (this.failure) return this.failure;
    const fail = (seq: number, problem: AuditChainProblem, message: string): Failure =>
      (this.failure = { ok: false, rowsChecked: this.rowsChecked, seq, problem, message });
    if (row.seq > this.expectedSeq) {
      const missing = row.seq - this.expectedSeq;
      return fail(
        this.expectedSeq,
        'row_missing',
        `audit row ${this.expectedSeq} is missing${missing > 1 ? ` (rows ${this.expectedSeq}–${row.seq - 1}, ${missing} rows)` : ''}: the log goes from row ${this.expectedSeq - 1} to row ${row.seq}. Rows were deleted.`,
      );
    }
    if (row.seq < this.expectedSeq) {
      return fail(row.seq, 'out_of_order', `audit row ${row.seq} comes after row ${this.expectedSeq - 1}: the rows are not in chain order.`);
    }
    if (row.prevHash !== this.prevHash) {
      return fail(
        row.seq,
        'chain_broken',
        row.seq === 1
          ? 'audit row 1 does not start the chain (its prev_hash is not the genesis value): rows were re-ordered or replaced.'
          : `audit row ${row.seq} does not link to row ${row.seq - 1} (its prev_hash is not row ${row.seq - 1}'s hash): rows were re-ordered or replaced, or row ${row.seq - 1} was rewritten together with its hash.`,
      );
    }
    const recomputed = auditRowHash(row);
    if (recomputed !== row.hash) {
      return fail(row.seq, 'row_modified', `audit row ${row.seq} was modified: its stored fields no longer give its hash.`);
    }
    if (this.expectedHead && row.seq === this.expectedHead.seq) {
      this.anchorSeen = true;
      if (row.hash !== this.expectedHead.hash) {
        return fail(row.seq, 'head_mismatch', `audit row ${row.seq} is not the row recorded earlier (its hash differs from the anchor): the log was rewritten from this row on.`);
      }
    }
    this.rowsChecked += 1;
    this.expectedSeq = row.seq + 1;
    this.prevHash = row.hash;
    return null;
  }

  /** The verdict once every row was pushed (or the first failure). */
  finish(): AuditChainResult {
    if (this.failure) return this.failure;
    if (this.expectedHead && !this.anchorSeen) {
      return {
        ok: false,
        rowsChecked: this.rowsChecked,
        seq: this.expectedSeq,
        problem: 'head_mismatch',
        message: `the audit log ends at row ${this.expectedSeq - 1}, before row ${this.expectedHead.seq} recorded earlier: rows were deleted from its end.`,
      };
    }
    const head = this.rowsChecked === 0 ? null : { seq: this.expectedSeq - 1, hash: this.prevHash };
    return { ok: true, rowsChecked: this.rowsChecked, head };
  }
}

/** Verifies a whole chain given as an array (tests, small logs). */
export function verifyAuditRows(rows: Iterable<AuditRecord>, expectedHead?: AuditChainHead): AuditChainResult {
  const walker = new AuditChainWalker(expectedHead);
  for (const r of rows) if (walker.push(r)) break;
  return walker.finish();
}
