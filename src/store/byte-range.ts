import { VigilError } from '../errors.ts';

/** An inclusive byte range [start, end], as HTTP Range headers and HLS byte ranges count. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Throws range_not_satisfiable unless start and end are whole numbers with 0 ≤ start ≤ end. */
export function assertByteRange(r: ByteRange): void {
  if (!Number.isSafeInteger(r.start) || !Number.isSafeInteger(r.end) || r.start < 0 || r.end < r.start) {
    throw new VigilError('range_not_satisfiable', `byte range ${r.start}-${r.end} is not a range (need whole numbers, 0 ≤ start ≤ end)`);
  }
}

/**
 * The part of the range inside an object of sizeBytes: the end is cut to the last byte (as
 * HTTP and S3 do); a start at or past the end throws range_not_satisfiable.
 */
export function clampByteRange(r: ByteRange, sizeBytes: number, key: string): ByteRange {
  assertByteRange(r);
  if (r.start >= sizeBytes) {
    throw new VigilError('range_not_satisfiable', `byte range ${r.start}-${r.end} starts past the end of ${key} (${sizeBytes} bytes)`);
  }
  return { start: r.start, end: Math.min(r.end, sizeBytes - 1) };
}
