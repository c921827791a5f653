import type { InvalidParam } from './problem.ts';

/**
 * zod issues → the invalid params of a 400 problem, each in plain words. Messages written in
 * a schema (`{ error: '…' }`) are kept; zod's generic English ones ("Invalid input: expected
 * string, received undefined") are replaced by a sentence a person can act on.
 */
export interface IssueLike {
  code: string;
  path: ReadonlyArray<PropertyKey>;
  message: string;
  expected?: unknown;
  input?: unknown;
  minimum?: unknown;
  maximum?: unknown;
  origin?: string;
  keys?: readonly string[];
  values?: readonly unknown[];
  format?: string;
}

export type ParamLocation = InvalidParam['in'];

const TARGET_LOCATION: Record<string, ParamLocation> = { query: 'query', param: 'path', json: 'body', form: 'body', header: 'header', cookie: 'cookie' };

export function locationOfTarget(target: string): ParamLocation {
  return TARGET_LOCATION[target] ?? 'body';
}

const ZOD_DEFAULT = /^(Invalid input|Invalid option|Invalid string|Invalid ISO|Invalid element|Invalid key|Invalid value|Invalid union|Too small|Too big|Unrecognized key)/;

export function invalidParamsFromIssues(issues: readonly IssueLike[], where: ParamLocation): InvalidParam[] {
  const out: InvalidParam[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys' && issue.keys?.length) {
      for (const k of issue.keys) out.push({ name: joinPath([...issue.path, k]), in: where, reason: 'is not a known field; remove it (check its spelling)' });
      continue;
    }
    out.push({ name: joinPath(issue.path) || '(whole)', in: where, reason: describeIssue(issue) });
  }
  return out;
}

export function describeIssue(i: IssueLike): string {
  if (!ZOD_DEFAULT.test(i.message)) return i.message;
  switch (i.code) {
    case 'invalid_type':
      // zod 4 leaves `input` out of issues unless asked; its message says what it received.
      if (('input' in i && i.input === undefined) || /received undefined$/.test(i.message)) return 'is required';
      return `must be ${article(String(i.expected))}`;
    case 'too_small':
      return i.origin === 'string' ? `must be at least ${String(i.minimum)} characters long` : i.origin === 'array' ? `must list at least ${String(i.minimum)} item(s)` : `must be at least ${String(i.minimum)}`;
    case 'too_big':
      return i.origin === 'string' ? `must be at most ${String(i.maximum)} characters long` : i.origin === 'array' ? `must list at most ${String(i.maximum)} item(s)` : `must be at most ${String(i.maximum)}`;
    case 'invalid_value':
      return `must be one of ${(i.values ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return i.format === 'regex' ? 'has characters or a form that is not allowed' : `must be a valid ${i.format ?? 'value'}`;
    default:
      return 'is not valid';
  }
}

function article(type: string): string {
  const words: Record<string, string> = { string: 'text', number: 'a number', int: 'a whole number', boolean: 'true or false', object: 'an object', array: 'a list' };
  return words[type] ?? `a ${type}`;
}

function joinPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}
