import { VigilError } from '../errors.ts';

/**
 * What an object key may be, the same for every driver: relative, '/'-separated parts of
 * letters, digits, '.', '_' and '-', no part empty or starting with '.'. So no key can climb out
 * of the fs store's root ('..', absolute paths, backslashes), and names starting with '.' stay
 * free for the store's own files (temp files, probes). At most 1024 bytes, as S3 allows.
 */
const PART = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const PARTIAL_PART = /^(?:[A-Za-z0-9_-][A-Za-z0-9._-]*)?$/;
export const MAX_KEY_BYTES = 1024;

/** Why a key is not acceptable, or null when it is. */
export function objectKeyProblem(key: string): string | null {
  if (typeof key !== 'string' || key.length === 0) return 'is empty';
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) return `is longer than ${MAX_KEY_BYTES} bytes`;
  const bad = key.split('/').find((p) => !PART.test(p));
  if (bad === undefined) return null;
  if (bad === '') return 'has an empty part (leading, trailing or double "/")';
  if (bad === '.' || bad === '..') return `has a "${bad}" part`;
  if (bad.startsWith('.')) return `has a part starting with "." ("${bad}")`;
  return `has a character outside A-Z a-z 0-9 . _ - in "${bad}"`;
}

/**
 * Why a listing prefix is not acceptable, or null. A prefix is '' (everything), or folders
 * that are valid key parts followed by an optional partial part: "cam-1/", "cam-1/2026/0".
 */
export function listPrefixProblem(prefix: string): string | null {
  if (typeof prefix !== 'string') return 'is not text';
  if (prefix === '') return null;
  if (Buffer.byteLength(prefix) > MAX_KEY_BYTES) return `is longer than ${MAX_KEY_BYTES} bytes`;
  const parts = prefix.split('/');
  const last = parts.pop()!;
  if (parts.length > 0) {
    const folders = parts.join('/');
    const problem = folders === '' ? 'has an empty part (leading, trailing or double "/")' : objectKeyProblem(folders);
    if (problem) return problem;
  }
  return PARTIAL_PART.test(last) ? null : `ends with "${last}", which no key part can start with`;
}

export function assertObjectKey(key: string): void {
  const problem = objectKeyProblem(key);
  if (problem) throw new VigilError('invalid_object_key', `object key ${JSON.stringify(key)} ${problem}`);
}

export function assertListPrefix(prefix: string): void {
  const problem = listPrefixProblem(prefix);
  if (problem) throw new VigilError('invalid_object_key', `listing prefix ${JSON.stringify(prefix)} ${problem}`);
}
