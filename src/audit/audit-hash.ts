import { createHash } from 'node:crypto';

/**
 * The hash of one audit row: SHA-256 over a canonical serialisation of every stored field of
 * the row, its position (seq) and the previous row's hash. Pure.
 *
 * Canonical form: the text `vigil-audit-v1\n` followed by a JSON array of the fields in a fixed
 * order, absent values as null, `detail` as its canonical JSON text (object keys sorted at
 * every level, no whitespace). JSON.stringify of strings, integers and null is deterministic,
 * so the same row gives the same bytes in any process, on any database driver.
 */
export const AUDIT_HASH_VERSION = 'vigil-audit-v1';

/** prevHash of the first row. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/** One row as stored (and as hashed). */
export interface AuditRecord {
  seq: number;
  atMs: number;
  actorId: string | null;
  actorName: string | null;
  action: string;
  cameraId: string | null;
  startMs: number | null;
  endMs: number | null;
  caseId: string | null;
  ip: string | null;
  reason: string | null;
  /** Canonical JSON text of the detail object ('{}' when none). */
  detail: string;
  prevHash: string;
  hash: string;
}

export function auditCanonicalText(r: Omit<AuditRecord, 'hash'>): string {
  const fields = [
    r.seq,
    r.atMs,
    r.actorId,
    r.actorName,
    r.action,
    r.cameraId,
    r.startMs,
    r.endMs,
    r.caseId,
    r.ip,
    r.reason,
    r.detail,
    r.prevHash,
  ];
  return `${AUDIT_HASH_VERSION}\n${JSON.stringify(fields)}`;
}

export function auditRowHash(r: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(auditCanonicalText(r), 'utf8').digest('hex');
}

/**
 * JSON text with object keys sorted at every level and no whitespace. Values JSON cannot hold
 * exactly are refused (not silently changed), so what is hashed is what was meant: non-finite
 * numbers, bigints, functions, symbols, undefined inside arrays. undefined object members are
 * left out, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  return write(value, 0);
}

const MAX_DEPTH = 32;

function write(v: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new TypeError('audit detail is nested too deeply');
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return JSON.stringify(v);
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError(`audit detail holds a number JSON cannot represent (${v})`);
      return JSON.stringify(v);
    case 'object': {
      if (Array.isArray(v)) {
        return `[${v
          .map((x) => {
            if (x === undefined) throw new TypeError('audit detail holds undefined inside an array');
            return write(x, depth + 1);
          })
          .join(',')}]`;
      }
      if (v instanceof Date) return JSON.stringify(v.toISOString());
      const entries = Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${write(x, depth + 1)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`audit detail holds a ${typeof v}, which JSON cannot represent`);
  }
}
