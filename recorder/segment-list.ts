/**
 * ffmpeg's segment muxer reports each closed segment as a CSV line "file,start,end" (seconds of
 * stream time) on its list pipe. This turns such lines into closed-segment records.
 */
export interface ClosedSegment {
  file: string;
  startSec: number;
  endSec: number;
}

export function parseSegmentListLine(line: string): ClosedSegment | null {
  const trimmed = line.trim();
  if (!trimmed) return null;
  // The file name may be quoted (CSV) if it contains a comma; ours never do, but be exact.
  const m = /^(?:"((?:[^"]|"")*)"|([^,]*)),(-?[\d.]+(?:e[-+]?\d+)?),(-?[\d.]+(?:e[-+]?\d+)?)$/i.exec(trimmed);
  if (!m) return null;
  const file = m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!;
  const startSec = Number(m[3]);
  const endSec = Number(m[4]);
  if (!file || !Number.isFinite(startSec) || !Number.isFinite(endSec) || endSec < startSec) return null;
  return { file, startSec, endSec };
}

/** Splits a stream of chunks into lines, keeping the unfinished tail for the next chunk. */
export class LineSplitter {
  private tail = '';
  push(chunk: string): string[] {
    const text = this.tail + chunk;
    const lines = text.split(/\r?\n/);
    this.tail = lines.pop() ?? '';
    return lines;
  }
  flush(): string[] {
    const rest = this.tail;
    this.tail = '';
    return rest ? [rest] : [];
  }
}
