/**
 * Top-level ISO-BMFF boxes of an MP4 held in memory. Enough to find a fragmented MP4's init
 * part (ftyp + moov, everything before the first moof) for HLS byte ranges and reindexing.
 */
export interface Box {
  type: string;
  offset: number;
  size: number;
}

export function topLevelBoxes(buf: Buffer): Box[] {
  const boxes: Box[] = [];
  let offset = 0;
  while (offset + 8 <= buf.length) {
    let size = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    if (size === 1) {
      if (offset + 16 > buf.length) break;
      size = Number(buf.readBigUInt64BE(offset + 8));
    } else if (size === 0) {
      size = buf.length - offset;
    }
    if (size < 8 || offset + size > buf.length) {
      boxes.push({ type, offset, size: buf.length - offset });
      break;
    }
    boxes.push({ type, offset, size });
    offset += size;
  }
  return boxes;
}

/** Bytes before the first moof (ftyp + moov of a fragmented MP4), or null if there is none. */
export function initSegmentLength(buf: Buffer): number | null {
  const boxes = topLevelBoxes(buf);
  const firstMoof = boxes.find((b) => b.type === 'moof');
  if (!firstMoof || !boxes.some((b) => b.type === 'moov' && b.offset < firstMoof.offset)) return null;
  return firstMoof.offset;
}
