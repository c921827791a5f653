#!/usr/bin/env -S node --import tsx
import { parseArgs } from 'node:util';
import { findConfigFile, loadConfig } from '../src/config/load.ts';
import { VigilError } from '../src/errors.ts';
import { createLogger } from '../src/logger.ts';
import { systemClock } from '../src/clock.ts';
import { redactText } from '../src/redact.ts';
import { discoverCameras } from '../recorder/discover.ts';
import { onboardOnvif } from '../recorder/onboarding.ts';
import { runRecorderRole } from './run-recorder.ts';

/**
 * The `vigil` command. With no role it runs every role in one process (recorder now; the API
 * and retention join as their issues land). Errors a person can fix are printed in plain
 * words with the fix, never as a stack trace.
 */
const USAGE = `usage:
  vigil [--config FILE] [--simulate N]        run all roles (recorder; api and retention to come)
  vigil recorder [--config FILE] [--simulate N]
  vigil discover [--timeout-ms MS]            list ONVIF cameras answering WS-Discovery
  vigil probe --host H [--port P] --user U --password P   onboard one ONVIF camera and print what Vigil sees
  vigil check-config [--config FILE]          validate the configuration and exit`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
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
      help: { type: 'boolean', short: 'h' },
    },
  });
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
    case 'run':
    case 'recorder': {
      const cfg = loadCfg();
      const log = createLogger({ level: cfg.log.level, base: { role: command === 'run' ? 'all' : command } });
      const simulate = values.simulate === undefined ? 0 : Number(values.simulate);
      if (!Number.isInteger(simulate) || simulate < 0 || simulate > 200) {
        throw new VigilError('config_invalid', `--simulate must be a whole number of cameras from 0 to 200 (got "${values.simulate}")`);
      }
      await runRecorderRole({ config: cfg, log, simulate });
      return 0;
    }
    default:
      console.error(`vigil: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
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
