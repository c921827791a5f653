import type { z } from 'zod';
import { closestName } from './env.ts';

/**
 * Turns zod's issues into one plain sentence per wrong key, with how to fix it, for people
 * who are not programmers. Never echoes a secret value back.
 */
export interface ConfigProblem {
  key: string;
  message: string;
}

export function keyOf(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(top level)';
}

/** Known keys per object path, for "did you mean" on unknown keys. */
export type KnownKeys = (path: ReadonlyArray<PropertyKey>) => string[];

export function explainIssues(issues: readonly z.core.$ZodIssue[], raw: unknown, known: KnownKeys): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        const near = closestName(k, known(issue.path));
        problems.push({
          key: keyOf([...issue.path, k]),
          message: `is not a known setting${near ? `; did you mean "${near}"?` : '; remove it'}`,
        });
      }
      continue;
    }
    problems.push({ key: keyOf(issue.path), message: describe(issue, valueAt(raw, issue.path)) });
  }
  return problems;
}

function describe(issue: z.core.$ZodIssue, value: unknown): string {
  const got = showValue(issue.path, value);
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return `is required (${expected(issue.expected)})`;
      return `must be ${expected(issue.expected)}${got}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${got}`;
    default: {
      const custom = issue.message && !issue.message.startsWith('Invalid') ? issue.message : 'has a wrong value';
      return `${custom}${issue.code === 'custom' ? '' : got}`;
    }
  }
}

function expected(kind: string): string {
  switch (kind) {
    case 'number':
      return 'a number';
    case 'string':
      return 'text';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
      return 'a section of settings';
    default:
      return kind;
  }
}

function showValue(path: ReadonlyArray<PropertyKey>, value: unknown): string {
  if (value === undefined) return '';
  const last = String(path[path.length - 1] ?? '');
  if (/password|secret|key|token|url/i.test(last)) return ''; // never echo a possible secret
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return ` (got ${text.length > 60 ? `${text.slice(0, 57)}...` : text})`;
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let node = root;
  for (const part of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}
