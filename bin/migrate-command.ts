import { existsSync } from 'node:fs';
import path from 'node:path';
import { Migrator, type Kysely, type MigrationProvider } from 'kysely';
import { verifyAuditChain } from '../src/audit/audit-log.ts';
import type { ResolvedConfig } from '../src/config/load.ts';
import { AuditRepo } from '../src/db/audit-repo.ts';
import { connectDatabase, migrationFailed, type DatabaseConnection } from '../src/db/database.ts';
import { copyIndex, type TableCopyResult } from '../src/db/index-copy.ts';
import { migrateToLatest, migrationsFor } from '../src/db/migrations.ts';
import type { Database } from '../src/db/schema.ts';
import { VigilError } from '../src/errors.ts';
import { createObjectStore, type ObjectStore } from '../src/store/object-store.ts';
import { checkIndexedObjects, copyObjects } from './migrate-objects.ts';

/**
 * `vigil migrate [--config FILE]`: brings the configured index database to the latest schema
 * and says what ran. With the moving options (embedded install → PostgreSQL + MinIO, see
 * src/db/README.md), after migrating:
 *   --copy-objects-from DIR   copies the fs store's objects into the configured store;
 *   --copy-from-sqlite FILE   copies every table of the SQLite index into PostgreSQL, verifies
 *                             the rows, the audit chain (against the file's head) and that every
 *                             indexed segment has its object in the configured store.
 * Each step is idempotent: run it again after any failure. Returns the exit code (0 all good,
 * 1 when footage or audit verification found a problem).
 */
export interface MigrateRun {
  config: ResolvedConfig;
  copyFromSqlite?: string | undefined;
  copyObjectsFrom?: string | undefined;
  batchSize?: string | undefined;
  print: (line: string) => void;
}

export async function migrateCommand(run: MigrateRun): Promise<number> {
  const batchSize = run.batchSize === undefined ? undefined : Number(run.batchSize);
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000)) {
    throw new VigilError('config_invalid', `--batch-size must be a whole number of rows from 1 to 100000 (got "${run.batchSize}")`);
  }
  const copying = run.copyFromSqlite !== undefined;
  if (copying && run.config.database.driver !== 'postgres') {
    throw new VigilError('config_invalid', '--copy-from-sqlite copies into PostgreSQL, but this configuration’s database.driver is "sqlite"', {
      hint: 'Use the configuration of the new install (database.driver: postgres, database.postgresUrl), e.g. --config /etc/vigil/vigil-postgres.yaml.',
    });
  }
  const source = copying ? path.resolve(run.copyFromSqlite!) : null;
  if (source !== null && !existsSync(source)) throw new VigilError('config_invalid', `--copy-from-sqlite ${source}: no such file`, { hint: 'Give the embedded install’s index file (database.sqlitePath, by default <dataDir>/vigil.db).' });
  if (source !== null && run.config.database.sqlitePath && path.resolve(run.config.database.sqlitePath) === source && run.config.database.driver === 'sqlite') {
    throw new VigilError('config_invalid', 'the SQLite file to copy is the configured database itself');
  }

  const target = await connectDatabase(run.config.database);
  try {
    await migrate(target, run.print);
    const store = run.copyObjectsFrom !== undefined || copying ? createObjectStore(run.config) : null;
    if (run.copyObjectsFrom !== undefined) await copyObjectsStep(run.copyObjectsFrom, store!, run.print);
    if (source !== null) return await copyIndexStep(source, target, store!, batchSize, run.print);
    return 0;
  } finally {
    await target.db.destroy();
  }
}

async function migrate(c: DatabaseConnection, print: (line: string) => void): Promise<void> {
  print(`Database: ${c.where}`);
  const provider: MigrationProvider = { getMigrations: async () => migrationsFor(c.dialect) };
  let ran: string[];
  try {
    const before = await new Migrator({ db: c.db, provider }).getMigrations();
    const pending = before.filter((m) => m.executedAt === undefined).map((m) => m.name);
    if (pending.length > 0) print(`Running ${pending.length} migration(s): ${pending.join(', ')}`);
    ran = await migrateToLatest(c.db, c.dialect);
  } catch (e) {
    throw migrationFailed(c.where, e);
  }
  const latest = Object.keys(migrationsFor(c.dialect)).sort().at(-1);
  print(ran.length === 0 ? `Nothing to run: the schema is at ${latest}, the latest.` : `Ran ${ran.join(', ')}; the schema is at ${latest}, the latest.`);
}

async function copyObjectsStep(fromDir: string, store: ObjectStore, print: (line: string) => void): Promise<void> {
  await store.ping();
  print(`Copying objects from ${path.resolve(fromDir)} into the ${store.kind} store...`);
  const r = await copyObjects({ fromDir, to: store, onProgress: (p) => print(`  ${p.scanned} objects so far (${p.copied} copied)`) });
  print(`objects: ${r.scanned} in the folder, ${r.copied} copied (${formatBytes(r.bytesCopied)}), ${r.alreadyThere} already in the store with the same size`);
}

async function copyIndexStep(file: string, target: DatabaseConnection, store: ObjectStore, batchSize: number | undefined, print: (line: string) => void): Promise<number> {
  const source = await connectDatabase({ driver: 'sqlite', sqlitePath: file });
  let tables: TableCopyResult[];
  let sourceHead: { seq: number; hash: string } | null;
  try {
    print(`Copying the index from ${source.where}...`);
    const printedStep = new Map<string, number>();
    tables = await copyIndex({
      source: source.db,
      target: target.db,
      ...(batchSize !== undefined ? { batchSize } : {}),
      onProgress: (table, done, total) => {
        // Big tables report about every tenth; small ones only their line below.
        const step = Math.floor(done / Math.max(50_000, Math.ceil(total / 10)));
        if (done < total && step > (printedStep.get(table) ?? 0)) {
          printedStep.set(table, step);
          print(`  ${table}: ${done} of ${total} rows`);
        }
      },
    });
    sourceHead = await new AuditRepo(source.db as Kysely<Database>).head();
  } finally {
    await source.db.destroy();
  }
  for (const t of tables) {
    const extra = t.targetRows - t.sourceRows;
    print(`${t.table.padEnd(15)} ${String(t.sourceRows).padStart(9)} rows: ${t.inserted} copied, ${t.alreadyPresent} already there, all verified${extra > 0 ? `; PostgreSQL also holds ${extra} row(s) not in the file` : ''}`);
  }

  let exitCode = 0;
  const chain = await verifyAuditChain(target.db, sourceHead ?? undefined);
  if (chain.ok) {
    print(`audit log: the chain of ${chain.rowsChecked} rows is intact in PostgreSQL${sourceHead ? ` and holds the file's head (seq ${sourceHead.seq}, hash ${sourceHead.hash})` : ' (empty)'}`);
  } else {
    print(`audit log: NOT intact in PostgreSQL: ${chain.message}`);
    exitCode = 1;
  }

  await store.ping();
  const objects = await checkIndexedObjects(target.db, store);
  if (objects.problemCount === 0) {
    print(`footage: all ${objects.indexed} indexed segments have their object in the ${store.kind} store with the indexed size`);
  } else {
    print(`footage: ${objects.problemCount} of ${objects.indexed} indexed segments are not in the ${store.kind} store as indexed:`);
    for (const p of objects.problems) print(`  - ${p.key} ${p.problem}`);
    if (objects.problemCount > objects.problems.length) print(`  ... and ${objects.problemCount - objects.problems.length} more`);
    print('Copy the objects first (--copy-objects-from <the old objects folder>), then run this again; nothing is lost meanwhile.');
    exitCode = 1;
  }
  if (objects.segmentObjectsNotIndexed > 0) {
    print(`footage: ${objects.segmentObjectsNotIndexed} segment object(s) in the store have no index row; "vigil reindex" indexes them.`);
  }
  print(exitCode === 0 ? 'The index is copied and verified. Start Vigil with this configuration.' : 'The copy is NOT complete: see above.');
  return exitCode;
}

function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${n} B`;
}
