/**
 * Cuts a fragmented MP4 byte stream (as ffmpeg writes it to the live socket, in chunks of any
 * size) into the pieces live viewers need: the init segment (ftyp + moov) and each fragment
 * (moof + its mdat, one buffer). Pure and incremental; it holds at most one unfinished box.
 *
 * Anything else at top level (free, mfra at the end of a run, sidx, styp) is skipped. A box
 * declaring more than maxBoxBytes, a size smaller than its header, or an mdat without its moof
 * means the stream cannot be followed: the splitter stops and reports it once ('broken');
 * the caller keeps draining the socket and starts a new splitter with the next connection.
 */
export type Fmp4Piece = { kind: 'init'; bytes: Buffer } | { kind: 'fragment'; bytes: Buffer };

export type SplitResult = { pieces: Fmp4Piece[]; broken: string | null };

export const DEFAULT_MAX_BOX_BYTES = 32 * 1024 * 1024;

export class Fmp4Splitter {
  private chunks: Buffer[] = [];
  private held = 0;
  private ftyp: Buffer | null = null;
  private moof: Buffer | null = null;
  private brokenReason: string | null = null;

  constructor(private readonly maxBoxBytes = DEFAULT_MAX_BOX_BYTES) {}

  get broken(): string | null {
    return this.brokenReason;
  }

  /** Bytes held waiting for the rest of a box. */
  get heldBytes(): number {
    return this.held;
  }

  push(chunk: Buffer): SplitResult {
    const pieces: Fmp4Piece[] = [];
    if (this.brokenReason) return { pieces, broken: null };
    if (chunk.length) {
      this.chunks.push(chunk);
      this.held += chunk.length;
    }
    for (;;) {
      if (this.held < 8) break;
      const head = this.peek(16);
      const size32 = head.readUInt32BE(0);
      const type = head.toString('latin1', 4, 8);
      let size = size32;
      let headerSize = 8;
      if (size32 === 1) {
        if (this.held < 16) break;
        const big = head.readBigUInt64BE(8);
        size = big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
        headerSize = 16;
      }
      if (size32 === 0) return this.fail(pieces, `a ${printable(type)} box runs "to the end of the stream", which a live stream has not`);
      if (size < headerSize) return this.fail(pieces, `a ${printable(type)} box declares ${size} bytes, less than its header`);
      if (size > this.maxBoxBytes) return this.fail(pieces, `a ${printable(type)} box declares ${size} bytes, more than the ${this.maxBoxBytes} allowed`);
      if (this.held < size) break;
      const box = this.take(size);
      const problem = this.accept(type, box, pieces);
      if (problem) return this.fail(pieces, problem);
    }
    return { pieces, broken: null };
  }

  private accept(type: string, box: Buffer, pieces: Fmp4Piece[]): string | null {
    switch (type) {
      case 'ftyp':
        this.ftyp = box;
        this.moof = null;
        return null;
      case 'moov':
        pieces.push({ kind: 'init', bytes: this.ftyp ? Buffer.concat([this.ftyp, box]) : box });
        this.ftyp = null;
        return null;
      case 'moof':
        this.moof = box;
        return null;
      case 'mdat': {
        if (!this.moof) return 'an mdat box came without the moof describing it';
        pieces.push({ kind: 'fragment', bytes: Buffer.concat([this.moof, box]) });
        this.moof = null;
        return null;
      }
      default:
        return null;
    }
  }

  private fail(pieces: Fmp4Piece[], reason: string): SplitResult {
    this.brokenReason = reason;
    this.chunks = [];
    this.held = 0;
    return { pieces, broken: reason };
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n || this.chunks.length === 1) return this.chunks[0]!.subarray(0, n);
    const all = Buffer.concat(this.chunks);
    this.chunks = [all];
    return all.subarray(0, n);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      // Copy: the chunk may be a view into a larger buffer that would otherwise stay alive.
      out = Buffer.from(first.subarray(0, n));
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let at = 0;
      while (at < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, n - at);
        c.copy(out, at, 0, k);
        at += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.held -= n;
    return out;
  }
}

function printable(type: string): string {
  return /^[\x20-\x7e]{4}$/.test(type) ? type : 'unreadable';
}
