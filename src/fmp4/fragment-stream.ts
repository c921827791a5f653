import { damaged } from './box-tree.ts';
import type { TrackDefaults } from './init-info.ts';
import { parseMoof, type MoofInfo } from './moof-info.ts';
import { patchMoof, type MoofPatch } from './moof-rewrite.ts';

/**
 * Streams the fragment part of a segment (bytes that start on a top-level box boundary after
 * the init part) while rewriting every moof in place: each moof is held (a few hundred
 * bytes), parsed, patched by `onMoof`, and sent on; mdat payloads pass through as they come.
 * A trailing `mfra` (its offsets describe the source file, not the output) becomes a `free`
 * box of the same size. Output length always equals input length.
 */
export interface FragmentStreamOptions {
  trex: ReadonlyMap<number, TrackDefaults>;
  /** Called for each moof in order; returns what to change (or nothing). */
  onMoof(moof: MoofInfo): MoofPatch | undefined;
  /** Stop after this many bytes (the part of the segment wanted); default: all. */
  lengthBytes?: number;
}

const RENAMED_TO_FREE = new Set(['mfra']);

export async function* rewriteFragments(source: AsyncIterable<Buffer>, opts: FragmentStreamOptions): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  try {
    yield* rewriteFrom(new ChunkReader(it), opts);
  } finally {
    await it.return?.();
  }
}

async function* rewriteFrom(reader: ChunkReader, opts: FragmentStreamOptions): AsyncGenerator<Buffer> {
  let remaining = opts.lengthBytes ?? Number.POSITIVE_INFINITY;
  while (remaining > 0) {
    const head = await reader.peek(8);
    if (head.length === 0) break;
    if (head.length < 8) throw damaged('the segment ends inside a box header');
    let size = head.readUInt32BE(0);
    const type = head.toString('latin1', 4, 8);
    let headerSize = 8;
    if (size === 1) {
      const large = await reader.peek(16);
      if (large.length < 16) throw damaged('the segment ends inside a 64-bit box header');
      size = Number(large.readBigUInt64BE(8));
      headerSize = 16;
    }
    if (size !== 0 && size < headerSize) throw damaged(`a ${type} box declares ${size} bytes, less than its header`);
    if (type === 'moof') {
      const moofBuf = Buffer.from(await reader.take(size));
      if (moofBuf.length < size) throw damaged('the segment ends inside a moof box');
      const moof = parseMoof(moofBuf, { type, offset: 0, size, headerSize: headerSize as 8 | 16, truncated: false }, opts.trex);
      const patch = opts.onMoof(moof);
      if (patch) patchMoof(moofBuf, moof, patch);
      yield moofBuf.subarray(0, Math.min(moofBuf.length, remaining));
      remaining -= moofBuf.length;
      continue;
    }
    let first = true;
    let left = size === 0 ? Number.POSITIVE_INFINITY : size;
    while (left > 0 && remaining > 0) {
      let chunk = await reader.takeUpTo(Math.min(left, remaining));
      if (chunk.length === 0) {
        if (size === 0) return;
        throw damaged(`the segment ends inside a ${type} box`);
      }
      if (first && RENAMED_TO_FREE.has(type)) {
        chunk = Buffer.from(chunk);
        chunk.write('free', 4, 'latin1');
      }
      first = false;
      left -= chunk.length;
      remaining -= chunk.length;
      yield chunk;
    }
  }
}

/** Pulls exact byte counts out of an async iterator of chunks. */
class ChunkReader {
  private pending: Buffer[] = [];
  private buffered = 0;
  private done = false;

  constructor(private readonly it: AsyncIterator<Buffer>) {}

  private async fill(n: number): Promise<void> {
    while (this.buffered < n && !this.done) {
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        break;
      }
      const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
      if (b.length === 0) continue;
      this.pending.push(b);
      this.buffered += b.length;
    }
  }

  /** Up to n bytes without consuming them. */
  async peek(n: number): Promise<Buffer> {
    await this.fill(n);
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = all.length ? [all] : [];
    return all.subarray(0, n);
  }

  /** Exactly n bytes (fewer only at the end of the source). */
  async take(n: number): Promise<Buffer> {
    await this.fill(n);
    const out: Buffer[] = [];
    let need = n;
    while (need > 0 && this.pending.length) {
      const b = this.pending[0]!;
      if (b.length <= need) {
        out.push(b);
        this.pending.shift();
        need -= b.length;
      } else {
        out.push(b.subarray(0, need));
        this.pending[0] = b.subarray(need);
        need = 0;
      }
    }
    const taken = n - need;
    this.buffered -= taken;
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /** Between 1 and n bytes as soon as any are available (0 at the end). */
  async takeUpTo(n: number): Promise<Buffer> {
    if (this.buffered === 0) await this.fill(1);
    if (this.buffered === 0) return Buffer.alloc(0);
    const b = this.pending[0]!;
    if (b.length <= n) {
      this.pending.shift();
      this.buffered -= b.length;
      return b;
    }
    this.pending[0] = b.subarray(n);
    this.buffered -= n;
    return b.subarray(0, n);
  }
}
