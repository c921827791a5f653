import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder rules of docs/architecture.md: src/ is the shared core and imports neither
 * recorder/ nor api/; recorder/ and api/ never import each other. bin/, test/ and bench/ may
 * import everything.
 */
const FORBIDDEN: Record<string, string[]> = {
  src: ['recorder', 'api', 'bin', 'test', 'bench'],
  recorder: ['api', 'bin', 'test', 'bench'],
  api: ['recorder', 'bin', 'test', 'bench'],
};

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const IMPORT_RE = /(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

export function importsOf(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(IMPORT_RE)) out.push((m[1] ?? m[2] ?? m[3] ?? m[4])!);
  return out;
}

/** Violations for one file: relative imports that land in a folder its own folder may not use. */
export function violations(fileRel: string, source: string): string[] {
  const top = fileRel.split('/')[0]!;
  const banned = FORBIDDEN[top];
  if (!banned) return [];
  const found: string[] = [];
  for (const spec of importsOf(source)) {
    if (!spec.startsWith('.')) continue;
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(fileRel), spec));
    const targetTop = target.split('/')[0]!;
    if (banned.includes(targetTop)) found.push(`${fileRel} imports ${spec} (${top}/ may not import ${targetTop}/)`);
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|tsx|js|mjs)$/.test(name)) out.push(full);
  }
  return out;
}

describe('folder import rules', () => {
  it('hold for every file in src/, recorder/ and api/', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const top of Object.keys(FORBIDDEN)) {
      const dir = path.join(repoRoot, top);
      let files: string[] = [];
      try {
        files = sourceFiles(dir);
      } catch {
        continue;
      }
      for (const file of files) {
        checked++;
        const rel = path.relative(repoRoot, file).split(path.sep).join('/');
        problems.push(...violations(rel, readFileSync(file, 'utf8')));
      }
    }
    expect(checked).toBeGreaterThan(5);
    expect(problems).toEqual([]);
  });

  it.each([
    ['src/config/load.ts', "import { x } from '../../recorder/sim/faults.ts';", 1],
    ['src/db.ts', "const m = await import('../api/app.ts');", 1],
    ['recorder/uploader.ts', "export { y } from '../api/routes.ts';", 1],
    ['api/live.ts', "import '../recorder/live.ts';", 1],
    ['api/live.ts', "import { Clock } from '../src/clock.ts';", 0],
    ['recorder/sim/rtsp.ts', "import { Clock } from '../../src/clock.ts';\nimport net from 'node:net';", 0],
    ['src/a.ts', "import type { T } from './recorder-types.ts';", 0],
  ])('the checker judges %s: %s', (file, source, count) => {
    expect(violations(file, source)).toHaveLength(count);
  });
});
