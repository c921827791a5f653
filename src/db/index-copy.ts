import { sql, type Kysely } from 'kysely';
import { VigilError } from '../errors.ts';
import { migrationsFor } from './migrations.ts';

/**
 * Copies an embedded SQLite index into PostgreSQL (`vigil migrate --copy-from-sqlite`), every
 * table, keeping every value (ids, seq numbers and hashes too, so the audit chain stays intact).
 *
 *  - Idempotent: rows go in with ON CONFLICT (key) DO NOTHING, in key order, in batches; a run
 *    stopped half-way or repeated just finds the rows it already copied.
 *  - Verified: after each batch the same keys are read back from PostgreSQL and compared column
 *    by column with the SQLite rows; a row that differs (PostgreSQL already held something else
 *    under that key) stops the copy with a `conflict` naming the table and column, never the
 *    value. At the end the counts of both sides are compared.
 *  - Consistent: the SQLite side is read in one transaction (one snapshot), even if a writer is
 *    still running; the documented path stops Vigil first anyway.
 *  - Identity sequences are moved past the copied ids, so new rows never collide with them.
 * Both databases must be at the same migration (the target is migrated by the caller first).
 */
export interface CopyTable {
  table: string;
  /** The primary key (one column); rows are paged and matched by it. */
  key: string;
  /** The key is an identity column on PostgreSQL whose sequence must follow the copied ids. */
  identity: boolean;
  /** The key is itself a secret-derived value (a session token hash): never printed. */
  secretKey?: boolean;
}

/** Every table of the index, parents before children (foreign keys). */
export const COPY_TABLES: readonly CopyTable[] = [
  { table: 'cameras', key: 'id', identity: false },
  { table: 'users', key: 'id', identity: false },
  { table: 'sessions', key: 'token_hash', identity: false, secretKey: true },
  { table: 'api_tokens', key: 'id', identity: false },
  { table: 'login_attempts', key: 'key', identity: false },
  { table: 'segments', key: 'id', identity: true },
  { table: 'gaps', key: 'id', identity: true },
  { table: 'events', key: 'id', identity: true },
  { table: 'expired_ranges', key: 'id', identity: true },
  { table: 'backfill_jobs', key: 'id', identity: true },
  { table: 'cases', key: 'id', identity: false },
  { table: 'holds', key: 'id', identity: true },
  { table: 'case_clips', key: 'id', identity: true },
  { table: 'exports', key: 'id', identity: false },
  { table: 'audit_log', key: 'seq', identity: false },
  { table: 'retention_settings', key: 'key', identity: false },
];

/**
 * Tables of runtime coordination, not of record: recorder nodes and camera leases (migration
 * 0006) belong to the PostgreSQL nodes that hold them and are empty or meaningless in an
 * embedded SQLite install, so they are not copied.
 */
export const RUNTIME_TABLES: readonly string[] = ['recorder_nodes', 'camera_leases'];

export interface TableCopyResult {
  table: string;
  sourceRows: number;
  /** Rows written by this run. */
  inserted: number;
  /** Rows found already there, identical. */
  alreadyPresent: number;
  /** Rows in PostgreSQL afterwards (more than sourceRows when it holds rows the file does not). */
  targetRows: number;
}

export interface IndexCopyOptions {
  source: Kysely<any>;
  target: Kysely<any>;
  /** Rows read per SQLite query (default 2000); inserts are cut to stay under 30,000 parameters. */
  batchSize?: number;
  /** Called after each batch. */
  onProgress?: (table: string, doneRows: number, totalRows: number) => void;
}

const MAX_PARAMETERS = 30_000;

export async function copyIndex(o: IndexCopyOptions): Promise<TableCopyResult[]> {
  const batch = o.batchSize ?? 2_000;
  if (!Number.isInteger(batch) || batch < 1) throw new VigilError('config_invalid', `the copy batch size must be a whole number of rows, 1 or more (got ${batch})`);
  await checkSameSchema(o.source, o.target);
  return o.source.transaction().execute(async (src) => {
    const results: TableCopyResult[] = [];
    for (const t of COPY_TABLES) results.push(await copyTable(src, o.target, t, batch, o.onProgress));
    for (const t of COPY_TABLES.filter((x) => x.identity)) {
      // The next generated id follows the largest copied one (1 on an empty table).
      await sql`select setval(pg_get_serial_sequence(${t.table}, ${t.key}), coalesce((select max(${sql.ref(t.key)}) from ${sql.table(t.table)}), 0) + 1, false)`.execute(o.target);
    }
    return results;
  });
}

async function copyTable(src: Kysely<any>, target: Kysely<any>, t: CopyTable, batch: number, onProgress?: IndexCopyOptions['onProgress']): Promise<TableCopyResult> {
  const sourceRows = await countRows(src, t.table);
  let inserted = 0;
  let done = 0;
  let last: unknown;
  for (;;) {
    let q = src.selectFrom(t.table).selectAll().orderBy(t.key).limit(batch);
    if (last !== undefined) q = q.where(t.key, '>', last);
    const rows = (await q.execute()) as Array<Record<string, unknown>>;
    if (rows.length === 0) break;
    const perInsert = Math.max(1, Math.floor(MAX_PARAMETERS / Object.keys(rows[0]!).length));
    for (let i = 0; i < rows.length; i += perInsert) {
      const chunk = rows.slice(i, i + perInsert);
      try {
        const res = await target.insertInto(t.table).values(chunk).onConflict((oc) => oc.column(t.key).doNothing()).executeTakeFirst();
        inserted += Number(res.numInsertedOrUpdatedRows ?? 0);
      } catch (e) {
        throw copyFailed(t, chunk[0]![t.key], e);
      }
    }
    await verifyBatch(target, t, rows);
    done += rows.length;
    last = rows[rows.length - 1]![t.key];
    onProgress?.(t.table, done, sourceRows);
  }
  const targetRows = await countRows(target, t.table);
  if (done !== sourceRows || targetRows < sourceRows) {
    throw new VigilError('database_unavailable', `copying ${t.table}: the SQLite file has ${sourceRows} rows, ${done} were read and PostgreSQL holds ${targetRows}`, { hint: 'Run the copy again; it continues where it stopped.' });
  }
  return { table: t.table, sourceRows, inserted, alreadyPresent: done - inserted, targetRows };
}

/** Reads the batch's keys back from PostgreSQL and compares every column. */
async function verifyBatch(target: Kysely<any>, t: CopyTable, rows: Array<Record<string, unknown>>): Promise<void> {
  const keys = rows.map((r) => r[t.key]);
  const there = new Map<string, Record<string, unknown>>();
  for (let i = 0; i < keys.length; i += 5_000) {
    const found = (await target.selectFrom(t.table).selectAll().where(t.key, 'in', keys.slice(i, i + 5_000)).execute()) as Array<Record<string, unknown>>;
    for (const r of found) there.set(String(r[t.key]), r);
  }
  for (const row of rows) {
    const other = there.get(String(row[t.key]));
    const which = t.secretKey ? `a ${t.table} row` : `${t.table} row ${t.key} = ${JSON.stringify(row[t.key])}`;
    if (!other) throw new VigilError('database_unavailable', `${which} is missing from PostgreSQL right after it was copied`, { hint: 'Run the copy again; if it repeats, check that nothing deletes rows in the target database.' });
    for (const [column, value] of Object.entries(row)) {
      if (!sameValue(value, other[column])) {
        throw new VigilError('conflict', `PostgreSQL already holds ${which} with a different ${column}: it was not copied from this SQLite file, so the copy stops rather than mix two indexes`, {
          hint: 'Copy into a new, empty database (CREATE DATABASE … then vigil migrate --copy-from-sqlite again), or find what wrote to it.',
        });
      }
    }
  }
}

/** SQLite and PostgreSQL (int8 read as numbers) give numbers, strings and nulls; equal means equal. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined) return b === null || b === undefined;
  if (typeof a === 'number' && typeof b === 'string') return String(a) === b; // an int8 beyond 2^53 stays a string
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b;
}

async function countRows(db: Kysely<any>, table: string): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

function copyFailed(t: CopyTable, firstKey: unknown, e: unknown): VigilError {
  const code = String((e as { code?: unknown })?.code ?? '');
  const from = t.secretKey ? '' : ` (batch from ${t.key} = ${JSON.stringify(firstKey)})`;
  const message = `copying ${t.table} into PostgreSQL failed${from}: ${(e as Error)?.message ?? String(e)}`;
  if (code === '23505') {
    return new VigilError('conflict', message, { hint: 'PostgreSQL already holds other rows with the same unique values: copy into a new, empty database.' }, { cause: e });
  }
  return new VigilError('database_unavailable', message, { hint: 'A value in the SQLite file does not fit its column, or PostgreSQL went away; fix the cause and run the copy again (it continues where it stopped).' }, { cause: e });
}

/**
 * Both sides at this Vigil's latest migration, and the SQLite file holding exactly the tables
 * the copy knows: a table added by a later migration must be added to COPY_TABLES.
 */
async function checkSameSchema(source: Kysely<any>, target: Kysely<any>): Promise<void> {
  const latest = Object.keys(migrationsFor('sqlite')).sort();
  const ran = async (db: Kysely<any>) =>
    ((await db.selectFrom('kysely_migration').select('name').orderBy('name').execute().catch(() => [])) as Array<{ name: string }>).map((r) => r.name);
  const [fromSqlite, fromPg] = [await ran(source), await ran(target)];
  if (fromSqlite.join() !== latest.join()) {
    const newer = fromSqlite.some((n) => !latest.includes(n));
    throw new VigilError('config_invalid', newer
      ? `the SQLite index was last used by a newer Vigil (migration ${fromSqlite.at(-1)}); copy it with that version`
      : `the SQLite index is at migration ${fromSqlite.at(-1) ?? '(none)'}, not ${latest.at(-1)}: bring it up to date first`, {
      hint: newer ? 'Install the Vigil version that last ran on this file.' : 'Run "vigil migrate --config <the embedded install\'s config>" once, then copy again.',
    });
  }
  if (fromPg.join() !== latest.join()) throw new VigilError('database_unavailable', `the PostgreSQL index is at migration ${fromPg.at(-1) ?? '(none)'}, not ${latest.at(-1)}`, { hint: 'Run "vigil migrate" against it first.' });
  const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%' order by name`.execute(source);
  const known = new Set([...COPY_TABLES.map((t) => t.table), ...RUNTIME_TABLES]);
  const unknown = tables.rows.map((r) => r.name).filter((n) => !known.has(n));
  if (unknown.length > 0) throw new VigilError('internal', `the SQLite index has tables the copy does not know (${unknown.join(', ')}); this Vigil cannot copy it faithfully`);
}
