/**
 * POSIX ustar headers (IEEE Std 1003.1, "pax" interchange format, ustar header block), written
 * and read here so an evidence package is a plain .tar that every `tar` extracts. Pure.
 *
 * A header is one 512-byte block: name[100] mode[8] uid[8] gid[8] size[12] mtime[12]
 * chksum[8] typeflag[1] linkname[100] magic[6]="ustar\0" version[2]="00" uname[32] gname[32]
 * devmajor[8] devminor[8] prefix[155], then padding. Numbers are octal text ended by NUL;
 * the checksum is the sum of all header bytes with the checksum field counted as spaces,
 * written as six octal digits, NUL, space. File data follows in 512-byte blocks (last one
 * zero-padded); the archive ends with two zero blocks.
 */
export const BLOCK = 512;
/** Largest size an 11-digit octal field holds: 8 GiB − 1. */
export const MAX_TAR_ENTRY_BYTES = 8 ** 11 - 1;

export type TarEntryType = 'file' | 'dir';

export interface TarHeader {
  name: string;
  type: TarEntryType;
  mode: number;
  sizeBytes: number;
  mtimeSec: number;
}

export function encodeHeader(h: TarHeader): Buffer {
  const b = Buffer.alloc(BLOCK, 0);
  const { name, prefix } = splitName(h.type === 'dir' && !h.name.endsWith('/') ? `${h.name}/` : h.name);
  b.write(name, 0, 100, 'ascii');
  writeOctal(b, 100, 8, h.mode);
  writeOctal(b, 108, 8, 0);
  writeOctal(b, 116, 8, 0);
  if (h.sizeBytes > MAX_TAR_ENTRY_BYTES) throw new RangeError(`a tar entry holds at most ${MAX_TAR_ENTRY_BYTES} bytes`);
  writeOctal(b, 124, 12, h.type === 'dir' ? 0 : h.sizeBytes);
  writeOctal(b, 136, 12, h.mtimeSec);
  b.write(h.type === 'dir' ? '5' : '0', 156, 1, 'ascii');
  b.write('ustar\0', 257, 6, 'ascii');
  b.write('00', 263, 2, 'ascii');
  b.write('vigil', 265, 32, 'ascii');
  b.write('vigil', 297, 32, 'ascii');
  writeOctal(b, 329, 8, 0);
  writeOctal(b, 337, 8, 0);
  b.write(prefix, 345, 155, 'ascii');
  b.write(`${checksum(b).toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return b;
}

export type DecodedHeader = { kind: 'end' } | { kind: 'entry'; header: TarHeader } | { kind: 'bad'; why: string };

/** Reads a header block: an entry, the end marker (a zero block), or why it is not a ustar header. */
export function decodeHeader(b: Buffer): DecodedHeader {
  if (b.length !== BLOCK) return { kind: 'bad', why: 'the archive ends inside a header' };
  if (b.every((x) => x === 0)) return { kind: 'end' };
  const stored = readOctal(b, 148, 8);
  if (stored === null || stored !== checksum(b)) return { kind: 'bad', why: 'a header checksum does not match (the archive is damaged)' };
  if (b.toString('ascii', 257, 262) !== 'ustar') return { kind: 'bad', why: 'it is not a ustar archive' };
  const flag = b.toString('ascii', 156, 157);
  const type: TarEntryType | null = flag === '0' || flag === '\0' ? 'file' : flag === '5' ? 'dir' : null;
  const name = joinName(cString(b, 345, 155), cString(b, 0, 100));
  if (type === null) return { kind: 'bad', why: `entry "${name}" has type "${flag}" (only plain files and folders belong in an evidence package)` };
  const mode = readOctal(b, 100, 8);
  const size = readOctal(b, 124, 12);
  const mtime = readOctal(b, 136, 12);
  if (mode === null || size === null || mtime === null) return { kind: 'bad', why: `entry "${name}" has a malformed number field` };
  return { kind: 'entry', header: { name: type === 'dir' ? name.replace(/\/+$/, '') : name, type, mode, sizeBytes: type === 'dir' ? 0 : size, mtimeSec: mtime } };
}

/** Bytes of data blocks (with padding) for an entry of this size. */
export function paddedSize(sizeBytes: number): number {
  return Math.ceil(sizeBytes / BLOCK) * BLOCK;
}

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i]!;
  return sum;
}

function writeOctal(b: Buffer, offset: number, width: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`tar field value ${value} is not a whole non-negative number`);
  const text = value.toString(8).padStart(width - 1, '0');
  if (text.length > width - 1) throw new RangeError(`tar field value ${value} does not fit ${width - 1} octal digits`);
  b.write(`${text}\0`, offset, width, 'ascii');
}

function readOctal(b: Buffer, offset: number, width: number): number | null {
  const raw = b.toString('ascii', offset, offset + width).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (!/^[0-7]+$/.test(raw)) return null;
  return parseInt(raw, 8);
}

function cString(b: Buffer, offset: number, width: number): string {
  const end = b.indexOf(0, offset);
  return b.toString('utf8', offset, end === -1 || end > offset + width ? offset + width : end);
}

function joinName(prefix: string, name: string): string {
  return prefix ? `${prefix}/${name}` : name;
}

/** Splits a path into ustar's prefix and name fields (ASCII only). */
function splitName(full: string): { name: string; prefix: string } {
  if (!/^[\x20-\x7e]+$/.test(full)) throw new RangeError(`tar entry name ${JSON.stringify(full)} must be printable ASCII`);
  if (full.length <= 100) return { name: full, prefix: '' };
  const cut = full.lastIndexOf('/', 155);
  if (cut > 0 && full.length - cut - 1 <= 100) return { prefix: full.slice(0, cut), name: full.slice(cut + 1) };
  throw new RangeError(`tar entry name ${JSON.stringify(full)} is too long for a ustar header`);
}
