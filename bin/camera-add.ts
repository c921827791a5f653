import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../src/clock.ts';
import { findConfigFile, validateConfig } from '../src/config/load.ts';
import type { ConfigProblem } from '../src/config/explain.ts';
import { isVigilError, VigilError } from '../src/errors.ts';
import { stripUrlCredentials } from '../src/redact.ts';
import { MAX_AUTH_SKEW_MS, onboardOnvif, type OnboardResult, type StreamChoice } from '../recorder/onboarding.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { cameraAdditionFrom, type CameraAddOptions } from './camera-add-args.ts';
import { addCameraEntry, readConfigText, type EditedConfig } from './config-file-edit.ts';
import { readSecretFromStdin } from './stdin-secret.ts';

/**
 * `vigil camera add`: checks the new camera against the whole configuration, onboards an ONVIF
 * camera (so a wrong address or password is said now, in plain words, not later in a log), then
 * writes the file atomically with mode 0600, as it holds the camera's password. Nothing is
 * written when any step fails. The password is never printed: messages name the camera by its
 * id and address only.
 */
export interface CameraAddRun {
  options: CameraAddOptions & { config?: string | undefined };
  env: Record<string, string | undefined>;
  cwd: string;
  clock: Clock;
  print: (line: string) => void;
}

/** The file holds a camera password: readable by its owner only. */
export const CONFIG_FILE_MODE = 0o600;

/** A camera clock further off than this is worth a warning (footage is timed by our clock). */
const CLOCK_WARNING_MS = 60_000;

export async function cameraAdd(run: CameraAddRun): Promise<void> {
  const options = { ...run.options };
  if (options.password === '-') options.password = await readSecretFromStdin('--password');
  const addition = cameraAdditionFrom(options);
  const id = String(addition.entry.id);
  const file = configTarget(run.options.config, run.env, run.cwd);

  // Checked before the camera is contacted: a duplicate id needs no network round trip.
  planCameraAddition(file, addition.entry, run, id);

  if (addition.onvif) {
    const found = await onboardOnvif(addition.onvif, run.clock);
    printFound(`${addition.onvif.host}:${addition.onvif.port}`, found, run.print);
  } else {
    run.print(`Camera "${id}" has a plain RTSP address (${stripUrlCredentials(String(addition.entry.rtspUrl))}); it is not contacted now: the recorder logs it if the stream does not play.`);
  }

  // Read again: the file may have been edited while the camera answered.
  const { created: fileCreated, written } = await writeCameraAddition(file, addition.entry, run, id);
  run.print(`${fileCreated ? 'Created' : 'Updated'} ${file}: camera "${id}" added (file mode 0600, as it holds the camera's password).`);
  if (written.ownerChanged) {
    run.print(`Note: the file belonged to user id ${written.ownerChanged.fromUid} and now belongs to user id ${written.ownerChanged.toUid}; give it back (chown) if Vigil runs as that user.`);
  }
  run.print('Vigil records the camera from its next start.');
}

/** --config, else VIGIL_CONFIG, else an existing ./vigil.yaml|yml|json, else ./vigil.yaml (created). */
export function configTarget(arg: string | undefined, env: Record<string, string | undefined>, cwd: string): string {
  const file = findConfigFile(arg, env, cwd) ?? path.join(cwd, 'vigil.yaml');
  try {
    return realpathSync(file); // a symlinked config is edited where it lives, the link kept
  } catch {
    return file;
  }
}

/**
 * The configuration file with the camera added, checked as start-up would check it (throws
 * config_invalid naming every problem; nothing is written). Also used by the web UI's camera
 * add (bin/camera-admin-service.ts).
 */
export function planCameraAddition(file: string, entry: Record<string, unknown>, run: Pick<CameraAddRun, 'env' | 'cwd'>, id: string): { edited: EditedConfig; created: boolean } {
  const current = readConfigText(file);
  if (current.text === null && !existsSync(path.dirname(file))) {
    throw new VigilError('config_unreadable', `cannot create ${file}: the folder ${path.dirname(file)} does not exist; nothing was changed`, { hint: 'Create the folder first, or give --config a file in an existing folder.' });
  }
  const edited = addCameraEntry(file, current, entry);
  try {
    validateConfig(edited.values, { env: run.env, cwd: run.cwd, file });
  } catch (e) {
    throw notAdded(e, id, file);
  }
  return { edited, created: current.text === null };
}

/** Plans again (the file may have changed meanwhile) and writes it atomically, mode 0600. */
export async function writeCameraAddition(file: string, entry: Record<string, unknown>, run: Pick<CameraAddRun, 'env' | 'cwd'>, id: string): Promise<{ created: boolean; written: Awaited<ReturnType<typeof writeFileAtomic>> }> {
  const final = planCameraAddition(file, entry, run, id);
  const written = await writeFileAtomic(file, final.edited.text, { mode: CONFIG_FILE_MODE });
  return { created: final.created, written };
}

/** The loader's message says "cannot start"; here nothing started, so it is said as what it is. */
function notAdded(e: unknown, id: string, file: string): unknown {
  if (!isVigilError(e, 'config_invalid') || !Array.isArray(e.details.problems)) return e;
  const problems = e.details.problems as ConfigProblem[];
  const n = problems.length;
  const lines = problems.map((p) => `  - ${p.key}: ${p.message}`).join('\n');
  return new VigilError(
    'config_invalid',
    `Camera "${id}" was not added: with it, the configuration in ${file} would have ${n} problem${n === 1 ? '' : 's'}:\n${lines}\nNothing was written.`,
    { problems, hint: 'See docs/architecture.md#configuration for every key.' },
  );
}

function printFound(where: string, found: OnboardResult, print: (line: string) => void): void {
  const d = found.device;
  const model = [d.manufacturer, d.model].filter(Boolean).join(' ') || 'unknown model';
  const extra = [d.firmwareVersion && `firmware ${d.firmwareVersion}`, d.serialNumber && `serial ${d.serialNumber}`].filter(Boolean).join(', ');
  print(`Camera at ${where} answered over ONVIF:`);
  print(`  device:       ${model}${extra ? ` (${extra})` : ''}`);
  print(`  main stream:  ${describeStream(found.main)}`);
  print(`  sub stream:   ${found.sub ? describeStream(found.sub) : 'none (the camera has one H.264/H.265 profile)'}`);
  const seconds = found.clockOffsetMs / 1000;
  print(`  clock offset: ${seconds >= 0 ? '+' : ''}${seconds.toFixed(1)} s (camera clock minus this machine's)`);
  if (Math.abs(found.clockOffsetMs) > CLOCK_WARNING_MS) {
    const minutes = Math.round(Math.abs(found.clockOffsetMs) / 60_000);
    const risk = Math.abs(found.clockOffsetMs) > MAX_AUTH_SKEW_MS ? ' and some cameras then refuse logins' : '';
    print(`Warning: the camera's clock is about ${minutes} min off. Vigil times footage by this machine's clock, but the time burnt into the picture will differ${risk}; enable NTP on the camera.`);
  }
}

function describeStream(s: StreamChoice): string {
  const audio = s.audioEncoding ? `audio ${s.audioEncoding}` : 'no audio';
  return `${s.encoding} ${s.width}x${s.height}, ${audio}  ${stripUrlCredentials(s.rtspUrl)}`;
}
