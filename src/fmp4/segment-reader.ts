import type { ObjectStore } from '../store/object-store.ts';
import { scanTopLevelBoxes } from '../mp4-boxes.ts';
import { damaged } from './box-tree.ts';
import { describeFragment, trexMap, type Fragment, type FragmentList } from './fragments.ts';
import { parseInit, type InitInfo } from './init-info.ts';
import { MFRO_BYTES, mfraSizeFromTail, parseMfra } from './mfra.ts';
import { parseMoof } from './moof-info.ts';
import { timingOfFragments, type MediaTiming } from './track-timing.ts';

/**
 * Reads only what is needed of a stored segment: its init part, its fragment structure
 * (moofs, found through the trailing mfra, without the mdat payloads) or just the decode-time
 * span of its tracks. Thin I/O around the pure parsers of this folder.
 */
export interface StoredSegment {
  objectKey: string;
  sizeBytes: number;
  initBytes: number;
}

/** A moof is a few hundred bytes; one read this long almost always holds it and the mdat header. */
const MOOF_READ_BYTES = 16 * 1024;

export async function readRange(store: ObjectStore, key: string, start: number, endExclusive: number): Promise<Buffer> {
  if (endExclusive <= start) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const c of await store.get(key, { start, end: endExclusive - 1 })) chunks.push(c as Buffer);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** The init part (ftyp + moov), parsed, and its bytes. */
export async function readInit(store: ObjectStore, seg: StoredSegment): Promise<{ info: InitInfo; bytes: Buffer }> {
  // The first moof's header is read too: parseInit then knows the init really ends there.
  const buf = await readRange(store, seg.objectKey, 0, Math.min(seg.sizeBytes, seg.initBytes + 8));
  const info = parseInit(buf);
  if (info.initBytes !== seg.initBytes) throw damaged(`${seg.objectKey}: the index says its init part is ${seg.initBytes} bytes, the file says ${info.initBytes}`);
  return { info, bytes: buf.subarray(0, seg.initBytes) };
}

/**
 * Every fragment of the segment with its byte range. Uses the mfra when the file has one
 * (a read of the tail plus one read per moof, in parallel); walks the boxes otherwise.
 */
export async function readFragmentMap(store: ObjectStore, seg: StoredSegment, init: InitInfo): Promise<FragmentList> {
  const fromMfra = await moofOffsetsFromMfra(store, seg);
  if (fromMfra) {
    const { offsets, fragmentsEnd } = fromMfra;
    const ends = [...offsets.slice(1), fragmentsEnd];
    const fragments = await Promise.all(offsets.map((off, i) => readFragmentAt(store, seg, init, off, ends[i]!)));
    if (fragments.every((f): f is Fragment => f !== null)) return { fragments, endOffset: fragmentsEnd };
  }
  return walkFragments(store, seg, init);
}

/** The decode-time span of each track over the whole segment: first moof + last moof. */
export async function readMediaTiming(store: ObjectStore, seg: StoredSegment, init: InitInfo): Promise<MediaTiming> {
  const fromMfra = await moofOffsetsFromMfra(store, seg);
  if (fromMfra && fromMfra.offsets.length > 0) {
    const { offsets, fragmentsEnd } = fromMfra;
    const lastAt = offsets[offsets.length - 1]!;
    const [first, last] = await Promise.all([
      readFragmentAt(store, seg, init, offsets[0]!, offsets[1] ?? fragmentsEnd),
      offsets.length > 1 ? readFragmentAt(store, seg, init, lastAt, fragmentsEnd) : null,
    ]);
    const frags = [first, last].filter((f): f is Fragment => f !== null);
    const expected = offsets.length > 1 ? 2 : 1;
    // Every track must appear in both ends, else an inner fragment may hold its true edge.
    const complete = frags.length === expected && init.tracks.every((t) => frags.every((f) => f.tracks.some((x) => x.trackId === t.trackId && x.sampleCount > 0)));
    if (complete) return timingOfFragments(init, frags);
  }
  return timingOfFragments(init, (await walkFragments(store, seg, init)).fragments);
}

async function moofOffsetsFromMfra(store: ObjectStore, seg: StoredSegment): Promise<{ offsets: number[]; fragmentsEnd: number } | null> {
  if (seg.sizeBytes < seg.initBytes + MFRO_BYTES) return null;
  const tail = await readRange(store, seg.objectKey, seg.sizeBytes - MFRO_BYTES, seg.sizeBytes);
  const mfraSize = mfraSizeFromTail(tail);
  if (mfraSize === null || mfraSize > seg.sizeBytes - seg.initBytes) return null;
  const fragmentsEnd = seg.sizeBytes - mfraSize;
  const entries = parseMfra(await readRange(store, seg.objectKey, fragmentsEnd, seg.sizeBytes));
  if (!entries || entries.length === 0) return null;
  const offsets = [...new Set(entries.map((e) => e.moofOffset))].sort((a, b) => a - b);
  if (offsets[0] !== seg.initBytes || offsets.some((o) => o >= fragmentsEnd)) return null;
  return { offsets, fragmentsEnd };
}

/** The fragment whose moof starts at `offset` and which must end exactly at `end`; null if not. */
async function readFragmentAt(store: ObjectStore, seg: StoredSegment, init: InitInfo, offset: number, end: number): Promise<Fragment | null> {
  let buf = await readRange(store, seg.objectKey, offset, Math.min(end, offset + MOOF_READ_BYTES));
  const head = scanTopLevelBoxes(buf).boxes[0];
  if (!head || head.type !== 'moof') return null;
  if (head.truncated) buf = await readRange(store, seg.objectKey, offset, Math.min(end, offset + head.size + 16));
  const boxes = scanTopLevelBoxes(buf).boxes;
  let cursor = offset;
  let sawMdat = false;
  for (const b of boxes) {
    if (b.offset > 0 && b.type === 'moof') return null; // a moof the mfra did not list
    if (b.type === 'mdat') sawMdat = true;
    cursor = offset + b.offset + b.size;
    if (b.truncated) break;
  }
  if (!sawMdat && cursor < end) {
    // The mdat header lies past what was read: check the chain reaches `end` from its size.
    const next = await readRange(store, seg.objectKey, cursor, Math.min(end, cursor + 16));
    const box = scanTopLevelBoxes(next).boxes[0];
    if (!box || box.type !== 'mdat') return null;
    cursor += box.size;
  }
  if (cursor !== end) return null;
  return describeFragment(init, parseMoof(buf, head, trexMap(init)), offset, end);
}

/** Box-by-box walk with small reads: for files without an mfra (salvaged after a crash). */
async function walkFragments(store: ObjectStore, seg: StoredSegment, init: InitInfo): Promise<FragmentList> {
  const fragments: Fragment[] = [];
  let offset = seg.initBytes;
  let endOffset = offset;
  while (offset + 8 <= seg.sizeBytes) {
    const head = await readRange(store, seg.objectKey, offset, Math.min(seg.sizeBytes, offset + MOOF_READ_BYTES));
    const box = scanTopLevelBoxes(head).boxes[0];
    if (!box || box.type !== 'moof') break;
    const moofBuf = box.truncated ? await readRange(store, seg.objectKey, offset, offset + box.size) : head.subarray(0, box.size);
    let cursor = offset + box.size;
    let sawMdat = false;
    while (cursor + 8 <= seg.sizeBytes) {
      const h = await readRange(store, seg.objectKey, cursor, Math.min(seg.sizeBytes, cursor + 16));
      const b = scanTopLevelBoxes(h).boxes[0];
      if (!b || b.type === 'moof' || !['mdat', 'free', 'skip', 'uuid', 'emsg', 'prft'].includes(b.type)) break;
      if (cursor + b.size > seg.sizeBytes) break;
      if (b.type === 'mdat') sawMdat = true;
      cursor += b.size;
    }
    if (!sawMdat) break;
    fragments.push(describeFragment(init, parseMoof(moofBuf, { ...box, truncated: false }, trexMap(init)), offset, cursor));
    endOffset = cursor;
    offset = cursor;
  }
  if (fragments.length === 0) throw damaged(`${seg.objectKey} holds no complete fragment`);
  return { fragments, endOffset };
}

/**
 * The first bytes of the segment's first video sample (enough for the NAL headers before its
 * first slice), or null when the first fragment has no video.
 */
export async function readFirstVideoSampleHead(store: ObjectStore, seg: StoredSegment, init: InitInfo, headBytes = 4096): Promise<Buffer | null> {
  const video = init.tracks.find((t) => t.handler === 'vide');
  if (!video) return null;
  const buf = await readRange(store, seg.objectKey, seg.initBytes, Math.min(seg.sizeBytes, seg.initBytes + MOOF_READ_BYTES));
  const box = scanTopLevelBoxes(buf).boxes[0];
  if (!box || box.type !== 'moof' || box.truncated) return null;
  const moof = parseMoof(buf, box, trexMap(init));
  const traf = moof.trafs.find((t) => t.trackId === video.trackId);
  const trun = traf?.truns.find((r) => r.sampleCount > 0);
  if (!traf || !trun) return null;
  // default-base-is-moof (what ffmpeg writes) or an explicit base; data_offset is relative to it.
  const base = traf.baseDataOffset ?? seg.initBytes;
  const at = base + (trun.dataOffset ?? 0);
  const size = Math.min(trun.samples[0]!.sizeBytes, headBytes);
  return readRange(store, seg.objectKey, at, Math.min(seg.sizeBytes, at + size));
}
