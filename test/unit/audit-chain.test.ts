import { describe, expect, it } from 'vitest';
import { verifyAuditRows } from '../../src/audit/audit-chain.ts';
import { AUDIT_GENESIS_HASH, auditCanonicalText, auditRowHash, canonicalJson, type AuditRecord } from '../../src/audit/audit-hash.ts';

function chain(n: number): AuditRecord[] {
  const rows: AuditRecord[] = [];
  let prev = AUDIT_GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const base = {
      seq,
      atMs: 1_767_578_400_000 + seq * 1000,
      actorId: `u${seq % 3}`,
      actorName: `user ${seq % 3}`,
      action: seq % 2 ? 'clip.view' : 'export.create',
      cameraId: 'ward-x-counter-3',
      startMs: 1_767_570_000_000 + seq,
      endMs: 1_767_570_060_000 + seq,
      caseId: seq % 2 ? null : 'case-1',
      ip: '10.0.0.7',
      reason: seq % 2 ? null : 'complaint KN-031',
      detail: canonicalJson({ n: seq }),
      prevHash: prev,
    };
    const row = { ...base, hash: auditRowHash(base) };
    rows.push(row);
    prev = row.hash;
  }
  return rows;
}

describe('canonicalJson', () => {
  it.each<[string, unknown, string]>([
    ['keys sorted at every level', { b: 1, a: { d: [1, { z: 1, y: 2 }], c: 'x' } }, '{"a":{"c":"x","d":[1,{"y":2,"z":1}]},"b":1}'],
    ['undefined members dropped', { a: undefined, b: null }, '{"b":null}'],
    ['unicode kept as is', { lý_do: 'khiếu nại' }, '{"lý_do":"khiếu nại"}'],
    ['dates as ISO', { at: new Date(Date.UTC(2026, 0, 5)) }, '{"at":"2026-01-05T00:00:00.000Z"}'],
    ['empty object', {}, '{}'],
  ])('%s', (_n, v, want) => {
    expect(canonicalJson(v)).toBe(want);
  });

  it.each<[string, unknown]>([
    ['NaN', { x: Number.NaN }],
    ['Infinity', { x: Number.POSITIVE_INFINITY }],
    ['bigint', { x: 1n }],
    ['function', { x: () => 1 }],
    ['undefined in array', { x: [undefined] }],
  ])('refuses %s', (_n, v) => {
    expect(() => canonicalJson(v)).toThrow(TypeError);
  });
});

describe('audit row hash', () => {
  const [row] = chain(1);
  const fields = Object.keys(row!).filter((k) => k !== 'hash') as Array<keyof Omit<AuditRecord, 'hash'>>;

  it('covers every field: changing any one changes the hash', () => {
    for (const f of fields) {
      const v = row![f];
      const changed = { ...row!, [f]: typeof v === 'number' ? v + 1 : v === null ? 'x' : `${v}x` };
      expect(auditRowHash(changed), f).not.toBe(row!.hash);
    }
  });

  it('tells null from the text "null" and keeps field boundaries', () => {
    expect(auditRowHash({ ...row!, caseId: null })).not.toBe(auditRowHash({ ...row!, caseId: 'null' }));
    expect(auditRowHash({ ...row!, actorId: 'ab', actorName: 'c' })).not.toBe(auditRowHash({ ...row!, actorId: 'a', actorName: 'bc' }));
  });

  it('is SHA-256 over the versioned canonical text', () => {
    expect(auditCanonicalText(row!).startsWith('vigil-audit-v1\n[1,')).toBe(true);
    expect(row!.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('verifyAuditRows', () => {
  it('accepts an intact chain and returns its head', () => {
    const rows = chain(10);
    expect(verifyAuditRows(rows)).toEqual({ ok: true, rowsChecked: 10, head: { seq: 10, hash: rows[9]!.hash } });
    expect(verifyAuditRows([])).toEqual({ ok: true, rowsChecked: 0, head: null });
  });

  const cases: Array<[string, (r: AuditRecord[]) => AuditRecord[], number, string]> = [
    ['a field edited in place', (r) => r.map((x) => (x.seq === 4 ? { ...x, actorName: 'someone else' } : x)), 4, 'row_modified'],
    ['the time edited', (r) => r.map((x) => (x.seq === 7 ? { ...x, atMs: x.atMs - 3_600_000 } : x)), 7, 'row_modified'],
    ['the first row edited', (r) => r.map((x) => (x.seq === 1 ? { ...x, ip: '1.2.3.4' } : x)), 1, 'row_modified'],
    ['a row rewritten with a fresh hash', (r) => r.map((x) => (x.seq === 5 ? rehash({ ...x, reason: 'changed' }) : x)), 6, 'chain_broken'],
    ['a middle row deleted', (r) => r.filter((x) => x.seq !== 5), 5, 'row_missing'],
    ['the first row deleted', (r) => r.filter((x) => x.seq !== 1), 1, 'row_missing'],
    ['two rows swapped (positions exchanged)', (r) => swapSeq(r, 3, 6), 3, 'chain_broken'],
    ['two neighbours swapped', (r) => swapSeq(r, 8, 9), 8, 'chain_broken'],
    ['rows out of order', (r) => [r[0]!, r[2]!, r[1]!, ...r.slice(3)], 2, 'row_missing'],
    ['a prev_hash edited', (r) => r.map((x) => (x.seq === 9 ? { ...x, prevHash: AUDIT_GENESIS_HASH } : x)), 9, 'chain_broken'],
  ];
  it.each(cases)('detects %s and names the row', (_n, tamper, seq, problem) => {
    const v = verifyAuditRows(tamper(chain(10)));
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect({ seq: v.seq, problem: v.problem }).toEqual({ seq, problem });
    expect(v.message).toContain(`row ${seq}`);
  });

  it('with an anchor, detects rows deleted from the end', () => {
    const rows = chain(10);
    const anchor = { seq: 10, hash: rows[9]!.hash };
    expect(verifyAuditRows(rows, anchor).ok).toBe(true);
    const cut = verifyAuditRows(rows.slice(0, 8), anchor);
    expect(cut).toMatchObject({ ok: false, problem: 'head_mismatch', seq: 9 });
    const wrong = verifyAuditRows(rows, { seq: 10, hash: rows[8]!.hash });
    expect(wrong).toMatchObject({ ok: false, problem: 'head_mismatch', seq: 10 });
  });
});

function rehash(r: AuditRecord): AuditRecord {
  const { hash: _h, ...base } = r;
  return { ...base, hash: auditRowHash(base) };
}

/** Exchanges the chain positions of two rows (what swapping seq values in the table does). */
function swapSeq(rows: AuditRecord[], a: number, b: number): AuditRecord[] {
  const ra = rows.find((x) => x.seq === a)!;
  const rb = rows.find((x) => x.seq === b)!;
  return rows.map((x) => (x.seq === a ? { ...rb, seq: a } : x.seq === b ? { ...ra, seq: b } : x));
}
