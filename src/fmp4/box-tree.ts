import { VigilError } from '../errors.ts';
import { scanTopLevelBoxes, type Mp4Box } from '../mp4-boxes.ts';

/**
 * Walking inside ISO-BMFF container boxes (moov, trak, moof, traf, …) of a buffer. Offsets are
 * always absolute in the buffer, so a rewriter can patch the bytes it found. Malformed input
 * (a child running past its parent) is a VigilError('internal') naming the box, since it
 * means a stored segment is damaged, not that the caller asked for something wrong.
 */

/** The boxes directly inside `parent` (whose payload starts `skip` bytes after its header). */
export function childBoxes(buf: Buffer, parent: Mp4Box, skip = 0): Mp4Box[] {
  const start = parent.offset + parent.headerSize + skip;
  const end = parent.offset + parent.size;
  if (end > buf.length) throw damaged(`${parent.type} box at byte ${parent.offset} runs past the bytes read`);
  const scan = scanTopLevelBoxes(buf.subarray(start, end));
  if (scan.stoppedBy !== null) throw damaged(`a box inside ${parent.type} at byte ${parent.offset} is malformed (${scan.stoppedBy})`);
  return scan.boxes.map((b) => ({ ...b, offset: b.offset + start }));
}

export function findChild(buf: Buffer, parent: Mp4Box, type: string, skip = 0): Mp4Box | undefined {
  return childBoxes(buf, parent, skip).find((b) => b.type === type);
}

export function requireChild(buf: Buffer, parent: Mp4Box, type: string, skip = 0): Mp4Box {
  const b = findChild(buf, parent, type, skip);
  if (!b) throw damaged(`${parent.type} box at byte ${parent.offset} has no ${type} box`);
  return b;
}

/** Follows a path of box types from `parent`, e.g. ['mdia', 'minf', 'stbl', 'stsd']. */
export function findPath(buf: Buffer, parent: Mp4Box, path: readonly string[]): Mp4Box | undefined {
  let cur: Mp4Box | undefined = parent;
  for (const type of path) {
    if (!cur) return undefined;
    cur = findChild(buf, cur, type);
  }
  return cur;
}

/** Byte offset of a box's payload (after its header). */
export function payloadOffset(box: Mp4Box): number {
  return box.offset + box.headerSize;
}

/** Version and flags of a full box (the first 4 payload bytes). */
export function fullBoxHeader(buf: Buffer, box: Mp4Box): { version: number; flags: number; bodyOffset: number } {
  const p = payloadOffset(box);
  if (p + 4 > box.offset + box.size) throw damaged(`${box.type} box at byte ${box.offset} is too short for a full box header`);
  return { version: buf.readUInt8(p), flags: buf.readUIntBE(p + 1, 3), bodyOffset: p + 4 };
}

/** A u64 as a number; refuses values past 2^53 (at 90 kHz that is 3 000 years of media). */
export function readU64(buf: Buffer, offset: number, what: string): number {
  const v = buf.readBigUInt64BE(offset);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw damaged(`${what} (${v}) is too large`);
  return Number(v);
}

/** Checks that `need` bytes from `offset` lie inside `box`. */
export function ensureInside(box: Mp4Box, offset: number, need: number): void {
  if (offset + need > box.offset + box.size) throw damaged(`${box.type} box at byte ${box.offset} is shorter than its fields`);
}

export function damaged(what: string): VigilError {
  return new VigilError('internal', `stored footage is damaged: ${what}`, {
    hint: 'Check the segment with ffprobe; a segment cut short by a crash should have been salvaged by the recorder.',
  });
}
