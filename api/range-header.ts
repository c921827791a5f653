/**
 * The HTTP Range header of a GET for one representation of known size (RFC 9110 §14). Pure.
 *
 *  - no header, or one this server chooses to ignore (another unit than bytes, several
 *    ranges, a malformed value): `whole` — the answer is 200 with the whole body, which RFC
 *    9110 allows ("a server MAY ignore the Range header field");
 *  - one satisfiable range: `part` with the inclusive [start, end], end cut to the last byte;
 *    a suffix `bytes=-N` is the last N bytes;
 *  - a well-formed range that selects nothing (start at or past the end, `bytes=-0`):
 *    `unsatisfiable` — 416 with `Content-Range: bytes *\/size`.
 *
 * Several ranges (multipart/byteranges) are answered whole: video players ask one range at a
 * time, and a multipart body of footage helps nobody.
 */
export type RangeDecision = { kind: 'whole' } | { kind: 'part'; start: number; end: number } | { kind: 'unsatisfiable' };

const ONE_RANGE = /^bytes=(\d*)-(\d*)$/;

export function decideRange(header: string | undefined | null, sizeBytes: number): RangeDecision {
  if (header === undefined || header === null) return { kind: 'whole' };
  const m = ONE_RANGE.exec(header.trim().replace(/\s+/g, ''));
  if (!m) return { kind: 'whole' };
  const [, first, last] = m;
  if (first === '' && last === '') return { kind: 'whole' };
  if (first === '') {
    const suffix = Number(last);
    if (!Number.isSafeInteger(suffix)) return { kind: 'whole' };
    if (suffix === 0 || sizeBytes === 0) return { kind: 'unsatisfiable' };
    return { kind: 'part', start: Math.max(0, sizeBytes - suffix), end: sizeBytes - 1 };
  }
  const start = Number(first);
  const end = last === '' ? sizeBytes - 1 : Number(last);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return { kind: 'whole' };
  if (last !== '' && end < start) return { kind: 'whole' }; // invalid per RFC 9110: ignored
  if (start >= sizeBytes) return { kind: 'unsatisfiable' };
  return { kind: 'part', start, end: Math.min(end, sizeBytes - 1) };
}

/** The Content-Range value of a part, or of a 416 answer. */
export function contentRange(d: { start: number; end: number } | null, sizeBytes: number): string {
  return d ? `bytes ${d.start}-${d.end}/${sizeBytes}` : `bytes */${sizeBytes}`;
}
