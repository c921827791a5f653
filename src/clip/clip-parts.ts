import { VigilError } from '../errors.ts';
import type { ClipByteRange } from './clip-types.ts';

/**
 * The byte layout of a clip assembled from stored objects: an init part (the first segment's
 * ftyp + moov) followed by one fragment part per segment, each a byte range of a stored
 * object. Pure: sizes come from the index and the first/last segments' fragment maps, so the
 * clip's size is known before a byte is sent, and any byte range maps to parts.
 */
export interface ClipPart {
  kind: 'init' | 'fragments';
  /** Index of the segment in the plan. */
  segmentIndex: number;
  objectKey: string;
  /** Byte range [sourceStart, sourceEnd) of the stored object. */
  sourceStart: number;
  sourceEnd: number;
  /** Offset of the part's first byte in the clip. */
  clipOffset: number;
}

export interface PartSource {
  kind: ClipPart['kind'];
  segmentIndex: number;
  objectKey: string;
  sourceStart: number;
  sourceEnd: number;
}

export function layoutParts(sources: readonly PartSource[]): { parts: ClipPart[]; sizeBytes: number } {
  let offset = 0;
  const parts = sources.map((s) => {
    if (!(s.sourceEnd > s.sourceStart)) throw new VigilError('internal', `clip part of ${s.objectKey} is empty (${s.sourceStart}–${s.sourceEnd})`);
    const p: ClipPart = { ...s, clipOffset: offset };
    offset += s.sourceEnd - s.sourceStart;
    return p;
  });
  return { parts, sizeBytes: offset };
}

export interface PartSlice {
  partIndex: number;
  /** Bytes of the part to skip, then to send. */
  skipBytes: number;
  takeBytes: number;
}

/** The inclusive range cut to the clip (an end past the last byte is cut, as HTTP does). */
export function clampClipRange(range: ClipByteRange | undefined, sizeBytes: number): ClipByteRange {
  if (!range) return { start: 0, end: sizeBytes - 1 };
  if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start < 0 || range.end < range.start) {
    throw new VigilError('range_not_satisfiable', `byte range ${range.start}-${range.end} is not a range (need whole numbers, 0 ≤ start ≤ end)`);
  }
  if (range.start >= sizeBytes) {
    throw new VigilError('range_not_satisfiable', `byte range ${range.start}-${range.end} starts past the end of the clip (${sizeBytes} bytes)`);
  }
  return { start: range.start, end: Math.min(range.end, sizeBytes - 1) };
}

/** Which parts (and which of their bytes) an inclusive, already clamped range covers. */
export function slicesForRange(parts: readonly ClipPart[], range: ClipByteRange): PartSlice[] {
  const out: PartSlice[] = [];
  const endExcl = range.end + 1;
  parts.forEach((p, partIndex) => {
    const len = p.sourceEnd - p.sourceStart;
    const from = Math.max(range.start, p.clipOffset);
    const to = Math.min(endExcl, p.clipOffset + len);
    if (from < to) out.push({ partIndex, skipBytes: from - p.clipOffset, takeBytes: to - from });
  });
  return out;
}
