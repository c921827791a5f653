import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'minio';
import { freePort } from './ports.ts';
import { waitFor } from './wait.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MINIO_BIN = process.env.VIGIL_MINIO_BIN ?? path.join(repoRoot, '.bin/minio');

export interface MinioServer {
  endPoint: string;
  port: number;
  accessKey: string;
  secretKey: string;
  dataDir: string;
  client: Client;
  /** Kills the server (SIGKILL when hard), keeping its data dir, so it can be restarted. */
  stop(opts?: { hard?: boolean }): Promise<void>;
  /** Starts it again on the same port and data dir. */
  restart(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

/**
 * A real MinIO server (built by ops/setup.sh --test) on a free loopback port with a temp data
 * dir. Resolves once its health endpoint answers.
 */
export async function startMinio(opts: { buckets?: string[] } = {}): Promise<MinioServer> {
  if (!existsSync(MINIO_BIN)) {
    throw new Error(`MinIO server not found at ${MINIO_BIN}; run "bash ops/setup.sh --test" to build it`);
  }
  const port = await freePort();
  const consolePort = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-minio-'));
  const accessKey = 'vigiltest';
  const secretKey = 'vigiltest-secret-key';
  let child: ChildProcess | undefined;
  let output = '';

  const launch = async () => {
    output = '';
    child = spawn(MINIO_BIN, ['server', dataDir, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'], {
      env: { ...process.env, MINIO_ROOT_USER: accessKey, MINIO_ROOT_PASSWORD: secretKey, MINIO_BROWSER: 'off', MINIO_UPDATE: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d) => (output += String(d)));
    child.stderr?.on('data', (d) => (output += String(d)));
    const proc = child;
    await waitFor(
      'MinIO to answer its health check',
      async () => {
        if (proc.exitCode !== null) throw new Error(`minio exited with ${proc.exitCode}: ${output.slice(-500)}`);
        const res = await fetch(`http://127.0.0.1:${port}/minio/health/ready`).catch(() => undefined);
        return res?.ok;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    // "ready" can come a moment before the S3 API stops answering 503 (server still
    // initialising, seen on a loaded machine): wait until a signed request succeeds.
    const probe = new Client({ endPoint: '127.0.0.1', port, useSSL: false, accessKey, secretKey });
    await waitFor('MinIO to answer S3 requests', async () => {
      if (proc.exitCode !== null) throw new Error(`minio exited with ${proc.exitCode}: ${output.slice(-500)}`);
      return (await probe.listBuckets().then(() => true).catch(() => false)) || undefined;
    }, { timeoutMs: 30_000, intervalMs: 100 });
  };

  const stop = async ({ hard = false } = {}) => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
  };

  await launch();
  const client = new Client({ endPoint: '127.0.0.1', port, useSSL: false, accessKey, secretKey });
  for (const bucket of opts.buckets ?? []) {
    if (!(await client.bucketExists(bucket))) await client.makeBucket(bucket);
  }
  return {
    endPoint: '127.0.0.1',
    port,
    accessKey,
    secretKey,
    dataDir,
    client,
    stop,
    restart: launch,
    async destroy() {
      await stop({ hard: true });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
