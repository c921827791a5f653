import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { BLOCK, decodeHeader, paddedSize } from './tar-header.ts';

/**
 * The files of an evidence package, read from the .tar as Vigil wrote it or from the folder a
 * person extracted it to (`tar -xf`), the same way for both. Contents are streamed for
 * hashing; only small files are read whole. Nothing is extracted to disk.
 */
export interface PackageFile {
  /** Name inside the package folder (no folder part). */
  name: string;
  sizeBytes: number;
  /** The whole file; refused above maxBytes. */
  read(maxBytes: number): Promise<Buffer>;
  /** Hex SHA-256 of the contents, streamed. */
  sha256(): Promise<string>;
  /** Byte offset of the contents in the tar (tests flip bytes there); null for a folder. */
  offsetInArchive: number | null;
}

export type OpenedPackage = { ok: true; kind: 'tar' | 'folder'; folder: string; files: PackageFile[] } | { ok: false; why: string };

export async function openPackageFiles(p: string): Promise<OpenedPackage> {
  let st;
  try {
    st = await lstat(p);
  } catch (e) {
    return { ok: false, why: `cannot read ${p} (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  if (st.isDirectory()) return openFolder(p);
  if (st.isFile()) return openTar(p, st.size);
  return { ok: false, why: `${p} is neither a file nor a folder` };
}

async function openFolder(dir: string): Promise<OpenedPackage> {
  const files: PackageFile[] = [];
  for (const d of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!d.isFile()) return { ok: false, why: `the package folder holds "${d.name}", which is not a plain file (an evidence package has only files)` };
    const file = path.join(dir, d.name);
    const size = (await lstat(file)).size;
    files.push({ name: d.name, sizeBytes: size, offsetInArchive: null, read: (max) => readRange(file, 0, size, max), sha256: () => hashRange(file, 0, size) });
  }
  return { ok: true, kind: 'folder', folder: path.basename(path.resolve(dir)), files };
}

async function openTar(file: string, totalBytes: number): Promise<OpenedPackage> {
  const fh = await open(file, 'r');
  const files: PackageFile[] = [];
  let folder: string | null = null;
  try {
    let pos = 0;
    for (;;) {
      if (pos + BLOCK > totalBytes) return { ok: false, why: 'the archive is cut short (it ends without the end-of-archive marker)' };
      const block = Buffer.alloc(BLOCK);
      await fh.read(block, 0, BLOCK, pos);
      const h = decodeHeader(block);
      if (h.kind === 'bad') return { ok: false, why: `it is not a readable tar archive: ${h.why}` };
      if (h.kind === 'end') break;
      const { name, type, sizeBytes } = h.header;
      const dataAt = pos + BLOCK;
      if (dataAt + sizeBytes > totalBytes) return { ok: false, why: `the archive is cut short inside "${name}"` };
      const parts = name.split('/');
      if (parts.some((x) => x === '' || x === '.' || x === '..') || name.startsWith('/')) return { ok: false, why: `entry "${name}" has an unsafe or empty path part` };
      const top = parts[0]!;
      if (folder === null) folder = top;
      if (top !== folder) return { ok: false, why: `entries are in more than one folder ("${folder}" and "${top}"); an evidence package has one` };
      if (type === 'dir') {
        if (parts.length !== 1) return { ok: false, why: `the package holds a sub-folder "${name}"; an evidence package has only files` };
      } else {
        if (parts.length !== 2) return { ok: false, why: `entry "${name}" is not directly inside the package folder "${folder}"` };
        files.push({ name: parts[1]!, sizeBytes, offsetInArchive: dataAt, read: (max) => readRange(file, dataAt, sizeBytes, max), sha256: () => hashRange(file, dataAt, sizeBytes) });
      }
      pos = dataAt + paddedSize(sizeBytes);
    }
  } finally {
    await fh.close();
  }
  if (folder === null) return { ok: false, why: 'the archive is empty' };
  return { ok: true, kind: 'tar', folder, files };
}

async function readRange(file: string, start: number, size: number, maxBytes: number): Promise<Buffer> {
  if (size > maxBytes) throw new RangeError(`${size} bytes is more than the ${maxBytes} this file may have`);
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const { bytesRead } = await fh.read(buf, off, size - off, start + off);
      if (bytesRead === 0) throw new Error(`${file} ended early`);
      off += bytesRead;
    }
    return buf;
  } finally {
    await fh.close();
  }
}

async function hashRange(file: string, start: number, size: number): Promise<string> {
  const h = createHash('sha256');
  if (size > 0) for await (const chunk of createReadStream(file, { start, end: start + size - 1, highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}
