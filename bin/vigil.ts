#!/usr/bin/env -S node --import tsx
import { parseArgs } from 'node:util';
import { findConfigFile, loadConfig } from '../src/config/load.ts';
import { VigilError } from '../src/errors.ts';
import { createLogger } from '../src/logger.ts';
import { createMetricsRegistry } from '../src/metrics.ts';
import { systemClock } from '../src/clock.ts';
import { redactText } from '../src/redact.ts';
import { discoverCameras } from '../recorder/discover.ts';
import { onboardOnvif } from '../recorder/onboarding.ts';
import { runRecorderRole, startRecorderRole } from './run-recorder.ts';
import { withSimulatedCameras } from './simulated-cameras.ts';
import { reindexCommand } from './reindex-command.ts';
import { migrateCommand } from './migrate-command.ts';
import { cameraAdd } from './camera-add.ts';
import { retentionOnce, startRetentionRole } from './retention-command.ts';
import { verifyCommand } from './verify-command.ts';
import { runApiRole, startApi } from './run-api.ts';
import { userCommand, USER_USAGE } from './user-command.ts';
import { reportCommand, REPORT_USAGE } from './report-command.ts';
import { startRetentionOps } from './ops-services.ts';
import { connectDatabase } from '../src/db/database.ts';
import { acquireRoleLock } from '../src/leases/role-lock.ts';
import { startRetentionUnderLock } from './retention-lock.ts';

/**
 * The `vigil` command. With no role it runs every role in one process (recorder now; the API
 * and retention join as their issues land). Errors a person can fix are printed in plain
 * words with the fix, never as a stack trace.
 */
const USAGE = `usage:
  vigil [--config FILE] [--simulate N]        run all roles (recorder, api and retention)
  vigil recorder [--config FILE] [--simulate N]
  vigil api [--config FILE]                   serve the HTTP API on http.host:http.port
  vigil discover [--timeout-ms MS]            list ONVIF cameras answering WS-Discovery
  vigil probe --host H [--port P] --user U --password P   onboard one ONVIF camera and print what Vigil sees
  vigil check-config [--config FILE]          validate the configuration and exit
  vigil reindex [--config FILE] [--camera ID] rebuild the segment index from the object store listing
  vigil migrate [--config FILE]               bring the index database to the latest schema and say what ran
  vigil migrate --config NEW [--copy-objects-from DIR] [--copy-from-sqlite FILE] [--batch-size N]
                                              move an embedded install to PostgreSQL + MinIO (copies, verifies)
  vigil camera add --id ID [--name NAME] [--site SITE]
        (--onvif HOST[:PORT] --user U --password P | --rtsp URL [--user U --password P])
        [--audio auto|off] [--config FILE]    check an ONVIF camera and add it to the configuration file
                                              (--password - reads it from standard input)
  vigil retention [--config FILE]             run retention on its schedule (retention.schedule)
  vigil retention --dry-run | --now [--batch-size N]
                                              print the retention plan, or run it once now
  vigil verify <package.tar|folder> [--public-key FILE | --fingerprint FP]
                                              check an evidence package offline (exit 0 valid, 1 not, 2 usage)
${REPORT_USAGE}
${USER_USAGE.replace(/^usage:\n/, '')}`;

async function main(argv: string[]): Promise<number> {
  // `vigil user …` has options of its own (--username, --role, repeated --site).
  if (argv[0] === 'user') {
    await userCommand({ argv: argv.slice(1), loadConfig: (file) => loadConfig({ file: findConfigFile(file, process.env, process.cwd()) }), clock: systemClock, print: (line) => console.log(line) });
    return 0;
  }
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (e) {
    // An unknown option or one without its value: say which, and show the usage.
    if (!String((e as NodeJS.ErrnoException).code ?? '').startsWith('ERR_PARSE_ARGS')) throw e;
    console.error(`vigil: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0] ?? 'run';
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const loadCfg = () => loadConfig({ file: findConfigFile(values.config, process.env, process.cwd()) });
  switch (command) {
    case 'check-config': {
      const cfg = loadCfg();
      console.log(`configuration OK${cfg.configFile ? ` (${cfg.configFile})` : ' (built-in defaults)'}: ${cfg.cameras.length} camera(s), database ${cfg.database.driver}, storage ${cfg.storage.driver}`);
      return 0;
    }
    case 'discover': {
      const found = await discoverCameras(Number(values['timeout-ms'] ?? 3000));
      if (found.length === 0) console.log('No ONVIF camera answered. Check that the cameras are on this network and ONVIF discovery is enabled.');
      for (const d of found) console.log(`${d.xaddrs.join(' ')}  name="${d.name}" hardware="${d.hardware}" location="${d.location}"`);
      return 0;
    }
    case 'probe': {
      if (!values.host) throw new VigilError('config_invalid', 'vigil probe needs --host (and usually --user and --password)');
      const r = await onboardOnvif({ host: values.host, port: Number(values.port ?? 80), username: values.user ?? 'admin', password: values.password ?? '' }, systemClock);
      console.log(JSON.stringify(r, null, 2));
      return 0;
    }
    case 'migrate': {
      return migrateCommand({ config: loadCfg(), copyFromSqlite: values['copy-from-sqlite'], copyObjectsFrom: values['copy-objects-from'], batchSize: values['batch-size'], print: (line) => console.log(line) });
    }
    case 'reindex': {
      await reindexCommand({ config: loadCfg(), cameraId: values.camera, print: (line) => console.log(line) });
      return 0;
    }
    case 'verify': {
      return verifyCommand({ positionals: positionals.slice(1), publicKeyFile: values['public-key'], fingerprint: values.fingerprint, print: (l) => console.log(l), printError: (l) => console.error(l) });
    }
    case 'retention': {
      const cfg = loadCfg();
      const log = createLogger({ level: cfg.log.level, base: { role: 'retention' } });
      if (values['dry-run'] || values.now) {
        await retentionOnce({ config: cfg, clock: systemClock, log, dryRun: Boolean(values['dry-run']), batchSize: values['batch-size'], print: (line) => console.log(line) });
        return 0;
      }
      let stopAsked = false;
      const stopped = new Promise<void>((resolve) => {
        const stop = () => { stopAsked = true; resolve(); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      // Many machines: only one retention runs; the others stand by on a PostgreSQL lock.
      const lockDb = cfg.database.driver === 'postgres' ? (await connectDatabase(cfg.database)).db : null;
      const lock = lockDb ? await acquireRoleLock(lockDb, 'retention', { clock: systemClock, log, shouldStop: () => stopAsked }) : null;
      if (lockDb && !lock) {
        await lockDb.destroy();
        return 0;
      }
      if (lock) log.info('retention lock taken: this process runs retention');
      const registry = createMetricsRegistry({ defaultLabels: { role: 'retention' } });
      const role = await startRetentionRole({ config: cfg, clock: systemClock, log, registry });
      const ops = await startRetentionOps(cfg, { registry, clock: systemClock, log });
      // The lock's session dropped: a standby may hold the lock now, so stop at once; exit 1
      // for the supervisor to start this again (it then stands by or takes the lock back).
      const lost = await Promise.race([stopped.then(() => null), lock?.lost ?? new Promise<never>(() => undefined)]);
      if (lost !== null) log.error({ reason: lost }, 'retention lock lost: this process stops retention and exits (its supervisor starts it again to stand by)');
      await ops.close();
      await role.close();
      await lock?.release();
      await lockDb?.destroy();
      return lost === null ? 0 : 1;
    }
    case 'report': {
      await reportCommand({
        config: loadCfg(), clock: systemClock, from: values.from, to: values.to, site: values.site, format: values.format, lang: values.lang, output: values.output,
        write: (text) => process.stdout.write(text), note: (line) => console.error(line),
      });
      return 0;
    }
    case 'camera': {
      if (positionals[1] !== 'add') {
        console.error(`vigil camera: unknown or missing subcommand${positionals[1] ? ` "${positionals[1]}"` : ''} (only "add" exists)\n${USAGE}`);
        return 2;
      }
      await cameraAdd({ options: values, env: process.env, cwd: process.cwd(), clock: systemClock, print: (line) => console.log(line) });
      return 0;
    }
    case 'run':
    case 'recorder': {
      const cfg = loadCfg();
      const log = createLogger({ level: cfg.log.level, base: { role: command === 'run' ? 'all' : command } });
      const simulate = values.simulate === undefined ? 0 : Number(values.simulate);
      if (!Number.isInteger(simulate) || simulate < 0 || simulate > 200) {
        throw new VigilError('config_invalid', `--simulate must be a whole number of cameras from 0 to 200 (got "${values.simulate}")`);
      }
      const { config, sim } = await withSimulatedCameras(cfg, simulate, log);
      try {
        if (command === 'recorder') {
          await runRecorderRole({ config, log });
          return 0;
        }
        // All roles in one process: the recorder first, so the API serves its live hub directly.
        const retentionRegistry = createMetricsRegistry({ defaultMetrics: false, defaultLabels: { role: 'retention' } });
        // On PostgreSQL several all-in-one processes may share the index: retention runs under its role lock.
        const retention = await startRetentionUnderLock({ config, clock: systemClock, log, registry: retentionRegistry });
        const recorder = await startRecorderRole({ config, log, retentionRegistry });
        const api = await startApi({ config, log, liveSource: recorder.recorder.live, liveNodeId: recorder.nodeId, recorder: recorder.recorder }).catch(async (e: unknown) => {
          await recorder.close();
          await retention.close();
          throw e;
        });
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await api.close();
        await recorder.close();
        await retention.close();
      } finally {
        await sim?.stop();
      }
      return 0;
    }
    case 'api': {
      const cfg = loadCfg();
      await runApiRole({ config: cfg, log: createLogger({ level: cfg.log.level, base: { role: 'api' } }) });
      return 0;
    }
    default:
      console.error(`vigil: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

function parseCommandLine(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      simulate: { type: 'string' },
      'timeout-ms': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string' },
      camera: { type: 'string' },
      id: { type: 'string' },
      name: { type: 'string' },
      site: { type: 'string' },
      onvif: { type: 'string' },
      rtsp: { type: 'string' },
      audio: { type: 'string' },
      'dry-run': { type: 'boolean' },
      now: { type: 'boolean' },
      'batch-size': { type: 'string' },
      'copy-from-sqlite': { type: 'string' },
      'copy-objects-from': { type: 'string' },
      'public-key': { type: 'string' },
      fingerprint: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string' },
      lang: { type: 'string' },
      output: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exit(code);
  },
  (e: unknown) => {
    if (e instanceof VigilError) {
      console.error(e.message);
      if (e.hint) console.error(`Hint: ${e.hint}`);
      process.exit(e.code === 'config_invalid' || e.code === 'config_unreadable' ? 2 : 1);
    }
    console.error(`vigil: unexpected error: ${redactText(String((e as Error)?.stack ?? e))}`);
    process.exit(1);
  },
);
