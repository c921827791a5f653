/**
 * The SHA256SUMS file of an evidence package in GNU coreutils format, so `sha256sum -c
 * SHA256SUMS` checks it without Vigil: one line per file, 64 lowercase hex digits, two spaces,
 * the file name, a newline. Pure. Parsing is strict (a package is only ever written by Vigil):
 * any other byte is a sign the list was changed.
 */
export interface SumLine {
  name: string;
  sha256: string;
}

const LINE = /^([0-9a-f]{64}) {2}([A-Za-z0-9][A-Za-z0-9._-]*)$/;

export function formatSha256Sums(lines: readonly SumLine[]): string {
  return lines.map((l) => `${l.sha256}  ${l.name}\n`).join('');
}

export type ParsedSums = { ok: true; lines: SumLine[] } | { ok: false; lineNumber: number; why: string };

export function parseSha256Sums(text: string): ParsedSums {
  if (text.length === 0) return { ok: false, lineNumber: 1, why: 'it is empty' };
  if (!text.endsWith('\n')) return { ok: false, lineNumber: text.split('\n').length, why: 'its last line does not end with a newline' };
  const out: SumLine[] = [];
  const seen = new Set<string>();
  const raw = text.slice(0, -1).split('\n');
  for (const [i, line] of raw.entries()) {
    const m = LINE.exec(line);
    if (!m) return { ok: false, lineNumber: i + 1, why: `line ${i + 1} is not "<64 hex digits>  <file name>"` };
    const name = m[2]!;
    if (seen.has(name)) return { ok: false, lineNumber: i + 1, why: `line ${i + 1} lists ${name} a second time` };
    seen.add(name);
    out.push({ sha256: m[1]!, name });
  }
  return { ok: true, lines: out };
}
