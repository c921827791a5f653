import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { BLOCK, encodeHeader, paddedSize, type TarEntryType } from './tar-header.ts';

/**
 * Writes a ustar archive to a file, streaming file contents (a clip may be gigabytes), and
 * returns its size and SHA-256 computed on the way. Entries are written in the given order;
 * the archive ends with two zero blocks and is padded to a 10240-byte record, as `tar` does.
 */
export type TarSource = { filePath: string } | { data: Buffer };

export interface TarInput {
  name: string;
  type: TarEntryType;
  mode: number;
  mtimeSec: number;
  /** Contents of a file entry. */
  source?: TarSource;
}

const RECORD = 20 * BLOCK;

export async function writeTarFile(dest: string, entries: readonly TarInput[], onProgress?: (doneBytes: number, totalBytes: number) => void): Promise<{ sizeBytes: number; sha256: string }> {
  const sizes = await Promise.all(entries.map(async (e) => (e.type === 'dir' || !e.source ? 0 : 'data' in e.source ? e.source.data.length : (await stat(e.source.filePath)).size)));
  const dataTotal = sizes.reduce((a, b) => a + b, 0);
  const hash = createHash('sha256');
  const fh = await open(dest, 'w', 0o644);
  let written = 0;
  let dataDone = 0;
  const put = async (buf: Buffer) => {
    hash.update(buf);
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await fh.write(buf, off, buf.length - off, written + off);
      off += bytesWritten;
    }
    written += buf.length;
  };
  try {
    for (const [i, e] of entries.entries()) {
      const size = sizes[i]!;
      await put(encodeHeader({ name: e.name, type: e.type, mode: e.mode, sizeBytes: size, mtimeSec: e.mtimeSec }));
      if (e.type === 'dir' || !e.source) continue;
      if ('data' in e.source) {
        await put(e.source.data);
      } else {
        let got = 0;
        for await (const chunk of createReadStream(e.source.filePath, { highWaterMark: 1 << 20 })) {
          const c = chunk as Buffer;
          got += c.length;
          if (got > size) throw new Error(`${e.source.filePath} grew while it was being archived`);
          await put(c);
          dataDone += c.length;
          onProgress?.(dataDone, dataTotal);
        }
        if (got !== size) throw new Error(`${e.source.filePath} shrank while it was being archived`);
      }
      if ('data' in e.source) {
        dataDone += size;
        onProgress?.(dataDone, dataTotal);
      }
      const pad = paddedSize(size) - size;
      if (pad > 0) await put(Buffer.alloc(pad));
    }
    await put(Buffer.alloc(2 * BLOCK));
    const tail = (RECORD - (written % RECORD)) % RECORD;
    if (tail > 0) await put(Buffer.alloc(tail));
    await fh.sync();
  } finally {
    await fh.close();
  }
  return { sizeBytes: written, sha256: hash.digest('hex') };
}
