import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { VigilError } from '../errors.ts';
import { configSchema, type VigilConfig } from './schema.ts';
import { applyEnvOverrides } from './env.ts';
import { explainIssues, type ConfigProblem } from './explain.ts';

/** A validated config with every path made absolute and the derived defaults filled in. */
export type ResolvedConfig = VigilConfig & {
  configFile: string | null;
  dataDir: string;
  database: VigilConfig['database'] & { sqlitePath: string };
  storage: VigilConfig['storage'] & { fsRoot: string };
  recorder: VigilConfig['recorder'] & { spoolDir: string };
};

export interface LoadOptions {
  /** Path of the YAML or JSON file; null = built-in defaults only. */
  file?: string | null;
  env?: Record<string, string | undefined>;
  /** Relative paths are resolved against this directory (default: process.cwd()). */
  cwd?: string;
}

/** Which file to read: --config, else VIGIL_CONFIG, else ./vigil.yaml if present, else none. */
export function findConfigFile(argFile: string | undefined, env: Record<string, string | undefined>, cwd: string): string | null {
  const chosen = argFile ?? env.VIGIL_CONFIG;
  if (chosen) return path.resolve(cwd, chosen);
  for (const name of ['vigil.yaml', 'vigil.yml', 'vigil.json']) {
    const p = path.join(cwd, name);
    if (existsSync(p)) return p;
  }
  return null;
}

/**
 * Reads, overrides and validates the configuration. On any problem throws one
 * VigilError('config_invalid') whose message lists every wrong key with its fix.
 */
export function loadConfig(opts: LoadOptions = {}): ResolvedConfig {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const file = opts.file ?? null;
  const raw = file ? readConfigFile(file) : {};
  return validateConfig(raw, { env, cwd, file });
}

export function validateConfig(
  raw: unknown,
  ctx: { env?: Record<string, string | undefined>; cwd?: string; file?: string | null } = {},
): ResolvedConfig {
  const where = ctx.file ? `the configuration in ${ctx.file}` : 'the configuration';
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new VigilError('config_invalid', `Vigil cannot start: ${where} must be a set of key: value settings, not ${Array.isArray(raw) ? 'a list' : typeof raw}.`);
  }
  const { config, problems: envProblems } = applyEnvOverrides(raw as Record<string, unknown>, ctx.env ?? {});
  const result = configSchema.safeParse(config);
  const problems: ConfigProblem[] = [...envProblems];
  if (!result.success) problems.push(...explainIssues(result.error.issues, config, knownKeysAt));
  if (problems.length > 0 || !result.success) {
    const n = problems.length;
    const lines = problems.map((p) => `  - ${p.key}: ${p.message}`);
    throw new VigilError(
      'config_invalid',
      `Vigil cannot start: ${where} has ${n} problem${n === 1 ? '' : 's'}:\n${lines.join('\n')}\nFix ${n === 1 ? 'it' : 'them'} and start again.`,
      { problems, hint: 'See docs/architecture.md#configuration for every key and its default.' },
    );
  }
  return resolvePaths(result.data, ctx.cwd ?? process.cwd(), ctx.file ?? null);
}

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : String(code ?? e);
    throw new VigilError('config_unreadable', `Vigil cannot start: cannot read config file ${file}: ${why}.`, {
      hint: 'Check the path given by --config or VIGIL_CONFIG.',
    });
  }
  try {
    return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    const first = (e as Error).message.split('\n')[0];
    throw new VigilError('config_unreadable', `Vigil cannot start: config file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}${where}: ${first}`, {
      hint: 'Fix the syntax (indentation with spaces, "key: value" pairs).',
    });
  }
}

function resolvePaths(cfg: VigilConfig, cwd: string, file: string | null): ResolvedConfig {
  const dataDir = path.resolve(cwd, cfg.dataDir);
  const inData = (p: string | undefined, fallback: string) => (p ? path.resolve(cwd, p) : path.join(dataDir, fallback));
  return {
    ...cfg,
    configFile: file,
    dataDir,
    database: { ...cfg.database, sqlitePath: inData(cfg.database.sqlitePath, 'vigil.db') },
    storage: { ...cfg.storage, fsRoot: inData(cfg.storage.fsRoot, 'objects') },
    recorder: { ...cfg.recorder, spoolDir: inData(cfg.recorder.spoolDir, 'spool') },
  };
}

interface ZodDefLike {
  _zod: { def: { type: string; shape?: Record<string, ZodDefLike>; innerType?: ZodDefLike; element?: ZodDefLike; in?: ZodDefLike } };
}

/** The keys an object in the schema accepts at a path (for "did you mean"). */
function knownKeysAt(at: ReadonlyArray<PropertyKey>): string[] {
  let node: ZodDefLike | undefined = configSchema as unknown as ZodDefLike;
  const unwrap = (n: ZodDefLike | undefined): ZodDefLike | undefined => {
    let cur = n;
    while (cur && ['optional', 'default', 'nullable', 'prefault', 'pipe'].includes(cur._zod.def.type)) {
      cur = cur._zod.def.innerType ?? cur._zod.def.in;
    }
    return cur;
  };
  for (const part of at) {
    node = unwrap(node);
    if (!node) return [];
    if (typeof part === 'number') node = node._zod.def.element;
    else node = node._zod.def.shape?.[String(part)];
  }
  node = unwrap(node);
  return Object.keys(node?._zod.def.shape ?? {});
}
