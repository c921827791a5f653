import { expect } from 'vitest';
import { VigilError } from '../../src/errors.ts';

/** Awaits a promise that must reject with a VigilError, and returns that error for assertions. */
export async function vigilFailure(p: Promise<unknown>, what = 'the call'): Promise<VigilError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(VigilError);
    return e as VigilError;
  }
  throw new Error(`expected ${what} to fail with a VigilError`);
}
