import { readFileSync } from 'node:fs';

/** The version in Vigil's package.json, written into every evidence manifest. */
export function readVigilVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
