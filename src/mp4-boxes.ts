/**
 * Top-level ISO-BMFF (MP4) boxes of a file held in memory. Enough to find a fragmented MP4's
 * init part (ftyp + moov, everything before the first moof), which HLS serves as the
 * EXT-X-MAP byte range and the index stores as init_bytes. Pure; never throws on bad input.
 *
 * A box header is size (u32) + type (4 chars); size 1 means a u64 size follows (header 16
 * bytes), size 0 means "to the end of the file" (only legal for the last box).
 */
export interface Mp4Box {
  type: string;
  /** Byte offset of the box header in the buffer. */
  offset: number;
  /** Declared size including the header (for a truncated box: more than the buffer holds). */
  size: number;
  headerSize: 8 | 16;
  /** The buffer ends before the box does (a file cut short, or only its head was read). */
  truncated: boolean;
}

export interface Mp4BoxScan {
  boxes: Mp4Box[];
  /**
   * Why the scan stopped before the end of the buffer, or null if every byte was accounted
   * for: 'truncated' (the last box runs past the buffer), 'bad_size' (a size smaller than
   * its header), 'partial_header' (fewer bytes left than a header).
   */
  stoppedBy: 'truncated' | 'bad_size' | 'partial_header' | null;
}

/** Reads the top-level boxes, stopping at the first one that does not fit. */
export function scanTopLevelBoxes(buf: Buffer): Mp4BoxScan {
  const boxes: Mp4Box[] = [];
  let offset = 0;
  while (offset < buf.length) {
    if (offset + 8 > buf.length) return { boxes, stoppedBy: 'partial_header' };
    const size32 = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    let size: number;
    let headerSize: 8 | 16 = 8;
    if (size32 === 1) {
      if (offset + 16 > buf.length) return { boxes, stoppedBy: 'partial_header' };
      const size64 = buf.readBigUInt64BE(offset + 8);
      headerSize = 16;
      size = size64 > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(size64);
    } else if (size32 === 0) {
      size = buf.length - offset;
    } else {
      size = size32;
    }
    if (size < headerSize) return { boxes, stoppedBy: 'bad_size' };
    const truncated = offset + size > buf.length;
    boxes.push({ type, offset, size, headerSize, truncated });
    if (truncated) return { boxes, stoppedBy: 'truncated' };
    offset += size;
  }
  return { boxes, stoppedBy: null };
}

/** The top-level boxes that could be read (see scanTopLevelBoxes for why a scan stops). */
export function topLevelBoxes(buf: Buffer): Mp4Box[] {
  return scanTopLevelBoxes(buf).boxes;
}

/**
 * Byte length of everything before the first `moof` — ftyp + moov of a fragmented MP4 — or
 * null when the buffer shows no complete `moov` followed by a `moof` header (not fragmented,
 * corrupt, or too little of the file read). Works on the head of a file: the first moof's
 * 8-byte header is enough.
 */
export function initSegmentLength(buf: Buffer): number | null {
  let sawMoov = false;
  for (const box of topLevelBoxes(buf)) {
    if (box.type === 'moof') return sawMoov ? box.offset : null;
    if (box.truncated) return null;
    if (box.type === 'moov') sawMoov = true;
  }
  return null;
}
