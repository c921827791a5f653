import type { TimeRange } from './time.ts';

/**
 * The accounting invariant: for a camera and an interval, stored segments and recorded gaps
 * together cover every millisecond exactly once. A hole is footage lost without a reason; an
 * overlap is footage (or a gap) counted twice. Both must be empty.
 */
export interface CoverPiece extends TimeRange {
  kind: 'segment' | 'gap';
  /** Gap reason or segment key, for messages. */
  label: string;
}

export interface AccountingReport {
  holes: TimeRange[];
  overlaps: Array<{ a: CoverPiece; b: CoverPiece; overlapMs: number }>;
  coveredMs: number;
  segmentMs: number;
  gapMs: number;
  gapMsByReason: Record<string, number>;
}

export function checkAccounting(interval: TimeRange, pieces: readonly CoverPiece[]): AccountingReport {
  const inside = pieces
    .map((p) => ({ ...p, startMs: Math.max(p.startMs, interval.startMs), endMs: Math.min(p.endMs, interval.endMs) }))
    .filter((p) => p.startMs < p.endMs)
    .sort((x, y) => x.startMs - y.startMs || x.endMs - y.endMs);
  const report: AccountingReport = { holes: [], overlaps: [], coveredMs: 0, segmentMs: 0, gapMs: 0, gapMsByReason: {} };
  let cursor = interval.startMs;
  let last: CoverPiece | undefined;
  for (const p of inside) {
    const len = p.endMs - p.startMs;
    if (p.kind === 'segment') report.segmentMs += len;
    else {
      report.gapMs += len;
      report.gapMsByReason[p.label] = (report.gapMsByReason[p.label] ?? 0) + len;
    }
    if (p.startMs > cursor) report.holes.push({ startMs: cursor, endMs: p.startMs });
    else if (p.startMs < cursor && last) report.overlaps.push({ a: last, b: p, overlapMs: Math.min(cursor, p.endMs) - p.startMs });
    if (p.endMs > cursor) {
      cursor = p.endMs;
      last = p;
    }
  }
  if (cursor < interval.endMs) report.holes.push({ startMs: cursor, endMs: interval.endMs });
  report.coveredMs = interval.endMs - interval.startMs - report.holes.reduce((s, h) => s + h.endMs - h.startMs, 0);
  return report;
}

/** One line per problem, for test failure messages and `vigil check`. */
export function describeAccounting(report: AccountingReport): string[] {
  return [
    ...report.holes.map((h) => `hole [${h.startMs}, ${h.endMs}) = ${h.endMs - h.startMs} ms unaccounted`),
    ...report.overlaps.map((o) => `overlap of ${o.overlapMs} ms between ${o.a.kind} ${o.a.label} and ${o.b.kind} ${o.b.label}`),
  ];
}
