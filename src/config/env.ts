/**
 * VIGIL_* environment overrides. Each variable names one scalar key; the table is explicit so
 * a misspelt variable is reported (with the closest real name) instead of silently ignored.
 */
type Kind = 'string' | 'number' | 'boolean';

export const ENV_KEYS: Record<string, { path: string[]; kind: Kind }> = {
  VIGIL_DATA_DIR: { path: ['dataDir'], kind: 'string' },
  VIGIL_TIME_ZONE: { path: ['timeZone'], kind: 'string' },
  VIGIL_HTTP_HOST: { path: ['http', 'host'], kind: 'string' },
  VIGIL_HTTP_PORT: { path: ['http', 'port'], kind: 'number' },
  VIGIL_LOG_LEVEL: { path: ['log', 'level'], kind: 'string' },
  VIGIL_DATABASE_DRIVER: { path: ['database', 'driver'], kind: 'string' },
  VIGIL_DATABASE_SQLITE_PATH: { path: ['database', 'sqlitePath'], kind: 'string' },
  VIGIL_DATABASE_POSTGRES_URL: { path: ['database', 'postgresUrl'], kind: 'string' },
  VIGIL_STORAGE_DRIVER: { path: ['storage', 'driver'], kind: 'string' },
  VIGIL_STORAGE_FS_ROOT: { path: ['storage', 'fsRoot'], kind: 'string' },
  VIGIL_STORAGE_MINIO_END_POINT: { path: ['storage', 'minio', 'endPoint'], kind: 'string' },
  VIGIL_STORAGE_MINIO_PORT: { path: ['storage', 'minio', 'port'], kind: 'number' },
  VIGIL_STORAGE_MINIO_USE_SSL: { path: ['storage', 'minio', 'useSSL'], kind: 'boolean' },
  VIGIL_STORAGE_MINIO_ACCESS_KEY: { path: ['storage', 'minio', 'accessKey'], kind: 'string' },
  VIGIL_STORAGE_MINIO_SECRET_KEY: { path: ['storage', 'minio', 'secretKey'], kind: 'string' },
  VIGIL_STORAGE_MINIO_BUCKET: { path: ['storage', 'minio', 'bucket'], kind: 'string' },
  VIGIL_RECORDER_SEGMENT_MS: { path: ['recorder', 'segmentMs'], kind: 'number' },
  VIGIL_RECORDER_STALL_TIMEOUT_MS: { path: ['recorder', 'stallTimeoutMs'], kind: 'number' },
  VIGIL_RECORDER_SPOOL_DIR: { path: ['recorder', 'spoolDir'], kind: 'string' },
  VIGIL_RECORDER_SPOOL_QUOTA_BYTES: { path: ['recorder', 'spoolQuotaBytes'], kind: 'number' },
  VIGIL_RECORDER_FFMPEG_PATH: { path: ['recorder', 'ffmpegPath'], kind: 'string' },
  VIGIL_RECORDER_NODE_ID: { path: ['recorder', 'nodeId'], kind: 'string' },
  VIGIL_RECORDER_LEASE_TTL_MS: { path: ['recorder', 'leaseTtlMs'], kind: 'number' },
  VIGIL_RECORDER_LEASE_RENEW_MS: { path: ['recorder', 'leaseRenewMs'], kind: 'number' },
  VIGIL_RECORDER_CLOCK_CHECK_MS: { path: ['recorder', 'clockCheckMs'], kind: 'number' },
  VIGIL_RETENTION_DAYS: { path: ['retention', 'days'], kind: 'number' },
  VIGIL_RETENTION_QUOTA_BYTES: { path: ['retention', 'quotaBytes'], kind: 'number' },
  VIGIL_RETENTION_WARN_AT_FRACTION: { path: ['retention', 'warnAtFraction'], kind: 'number' },
  VIGIL_RETENTION_SCHEDULE: { path: ['retention', 'schedule'], kind: 'string' },
  VIGIL_RETENTION_TIME_ZONE: { path: ['retention', 'timeZone'], kind: 'string' },
  VIGIL_API_SESSION_TTL_MS: { path: ['api', 'sessionTtlMs'], kind: 'number' },
  VIGIL_API_SESSION_IDLE_MS: { path: ['api', 'sessionIdleMs'], kind: 'number' },
  VIGIL_API_MAX_CLIP_MS: { path: ['api', 'maxClipMs'], kind: 'number' },
  VIGIL_API_MAX_TIMELINE_RANGE_MS: { path: ['api', 'maxTimelineRangeMs'], kind: 'number' },
  VIGIL_API_LOGIN_MAX_FAILURES: { path: ['api', 'loginMaxFailures'], kind: 'number' },
  VIGIL_API_LOGIN_MAX_FAILURES_PER_IP: { path: ['api', 'loginMaxFailuresPerIp'], kind: 'number' },
  VIGIL_API_LOGIN_LOCKOUT_MS: { path: ['api', 'loginLockoutMs'], kind: 'number' },
  VIGIL_API_LOGIN_MAX_LOCKOUT_MS: { path: ['api', 'loginMaxLockoutMs'], kind: 'number' },
  VIGIL_METRICS_ENABLED: { path: ['metrics', 'enabled'], kind: 'boolean' },
  VIGIL_METRICS_HOST: { path: ['metrics', 'host'], kind: 'string' },
  VIGIL_METRICS_PORT: { path: ['metrics', 'port'], kind: 'number' },
  VIGIL_METRICS_BEARER_TOKEN: { path: ['metrics', 'bearerToken'], kind: 'string' },
  VIGIL_NOTIFY_CAMERA_DOWN_AFTER_MS: { path: ['notify', 'cameraDownAfterMs'], kind: 'number' },
  VIGIL_NOTIFY_GAP_MIN_MS: { path: ['notify', 'gapMinMs'], kind: 'number' },
  VIGIL_NOTIFY_STORE_DOWN_AFTER_MS: { path: ['notify', 'storeDownAfterMs'], kind: 'number' },
  VIGIL_REPORT_TIME_ZONE: { path: ['report', 'timeZone'], kind: 'string' },
  VIGIL_REPORT_LANGUAGE: { path: ['report', 'language'], kind: 'string' },
  VIGIL_REPORT_DAILY_SCHEDULE: { path: ['report', 'dailySchedule'], kind: 'string' },
  VIGIL_UI_GRAFANA_URL: { path: ['ui', 'grafanaUrl'], kind: 'string' },
  VIGIL_LIVE_ENABLED: { path: ['live', 'enabled'], kind: 'boolean' },
  VIGIL_LIVE_FRAGMENT_MS: { path: ['live', 'fragmentMs'], kind: 'number' },
  VIGIL_LIVE_MAX_VIEWER_LAG_MS: { path: ['live', 'maxViewerLagMs'], kind: 'number' },
  VIGIL_LIVE_DROP_VIEWER_AFTER_MS: { path: ['live', 'dropViewerAfterMs'], kind: 'number' },
  VIGIL_LIVE_MAX_VIEWERS_PER_CAMERA: { path: ['live', 'maxViewersPerCamera'], kind: 'number' },
  VIGIL_LIVE_SNAPSHOT_INTERVAL_MS: { path: ['live', 'snapshotIntervalMs'], kind: 'number' },
  VIGIL_LIVE_SOCKET_DIR: { path: ['live', 'socketDir'], kind: 'string' },
  VIGIL_LIVE_ENDPOINT_HOST: { path: ['live', 'endpointHost'], kind: 'string' },
  VIGIL_LIVE_ENDPOINT_PORT: { path: ['live', 'endpointPort'], kind: 'number' },
  VIGIL_LIVE_RECORDER_URL: { path: ['live', 'recorderUrl'], kind: 'string' },
  VIGIL_LIVE_ADVERTISE_URL: { path: ['live', 'advertiseUrl'], kind: 'string' },
  VIGIL_LIVE_SECRET: { path: ['live', 'secret'], kind: 'string' },
};

/** Variables that configure the loader itself, not a key. */
const LOADER_VARS = new Set(['VIGIL_CONFIG']);

export interface EnvProblem {
  key: string;
  message: string;
}

/**
 * Applies VIGIL_* variables onto a raw (unvalidated) config object. Returns the new object and
 * the problems found (unknown variable names, values of the wrong kind).
 */
export function applyEnvOverrides(
  raw: Record<string, unknown>,
  env: Record<string, string | undefined>,
): { config: Record<string, unknown>; problems: EnvProblem[] } {
  const config = structuredClone(raw);
  const problems: EnvProblem[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('VIGIL_') || value === undefined || LOADER_VARS.has(name)) continue;
    const spec = ENV_KEYS[name];
    if (!spec) {
      const near = closestName(name, Object.keys(ENV_KEYS));
      problems.push({
        key: name,
        message: `is not a Vigil setting${near ? `; did you mean ${near}?` : ''} (unset it, or see docs/architecture.md for the list)`,
      });
      continue;
    }
    const parsed = coerce(value, spec.kind);
    if (parsed === undefined) {
      problems.push({ key: name, message: `must be a ${spec.kind === 'number' ? 'number' : 'true/false'} (got "${value}")` });
      continue;
    }
    setPath(config, spec.path, parsed);
  }
  return { config, problems };
}

function coerce(value: string, kind: Kind): string | number | boolean | undefined {
  if (kind === 'string') return value;
  if (kind === 'number') {
    const n = Number(value.trim());
    return value.trim() !== '' && Number.isFinite(n) ? n : undefined;
  }
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  return undefined;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/** The candidate within edit distance 3, if any: for "did you mean" hints. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d <= 3 && (!best || d < best.d)) best = { c, d };
  }
  return best?.c;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
