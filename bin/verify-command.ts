import { readFile } from 'node:fs/promises';
import { verifyPackage, type VerifyOptions } from '../src/evidence/package-verify.ts';
import { normalizeFingerprint, parsePublicKeyPem, publicKeyFingerprint } from '../src/evidence/signing-key.ts';

/**
 * `vigil verify <package> [--public-key FILE | --fingerprint FP]`: checks an evidence package
 * offline (the .tar or its extracted folder) and says what it checked in plain words.
 * Exit 0: everything matches. 1: something does not (the first mismatch is named). 2: the
 * command was used wrongly (no package, both key options, an unreadable key file).
 * Needs no configuration, database or network: a recipient runs it on any machine.
 */
export interface VerifyRun {
  positionals: string[];
  publicKeyFile?: string | undefined;
  fingerprint?: string | undefined;
  print: (line: string) => void;
  printError: (line: string) => void;
}

export const VERIFY_USAGE = 'usage: vigil verify <package.tar | extracted folder> [--public-key FILE | --fingerprint FP]';

export async function verifyCommand(run: VerifyRun): Promise<number> {
  const usage = (why: string) => {
    run.printError(`vigil verify: ${why}\n${VERIFY_USAGE}`);
    return 2;
  };
  if (run.positionals.length === 0) return usage('name the evidence package to check');
  if (run.positionals.length > 1) return usage(`check one package at a time (got ${run.positionals.length})`);
  if (run.publicKeyFile !== undefined && run.fingerprint !== undefined) return usage('give --public-key or --fingerprint, not both');
  const opts: VerifyOptions = {};
  let expectedLabel: string | null = null;
  if (run.publicKeyFile !== undefined) {
    let pem: string;
    try {
      pem = await readFile(run.publicKeyFile, 'utf8');
    } catch (e) {
      return usage(`cannot read the public key file ${run.publicKeyFile} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    try {
      expectedLabel = publicKeyFingerprint(parsePublicKeyPem(pem));
    } catch {
      return usage(`${run.publicKeyFile} is not an Ed25519 public key in PEM form`);
    }
    opts.expectedPublicKeyPem = pem;
  }
  if (run.fingerprint !== undefined) {
    const digits = normalizeFingerprint(run.fingerprint);
    if (digits.length !== 32 && digits.length !== 64) return usage(`--fingerprint must be the 32 hex digits Vigil shows (e.g. 3f2a-91bc-…), got "${run.fingerprint}"`);
    opts.expectedFingerprint = run.fingerprint;
    expectedLabel = run.fingerprint;
  }

  const target = run.positionals[0]!;
  run.print(`Checking evidence package ${target}`);
  const verdict = await verifyPackage(target, opts);
  for (const c of verdict.checks) run.print(`  [ok]   ${c}`);
  if (!verdict.ok) {
    run.print(`  [FAIL] ${verdict.file ?? 'package'}: ${verdict.message}`);
    run.print(`NOT VALID: ${verdict.file ? `${verdict.file} does not match` : 'the package cannot be checked'}. Do not rely on this package; ask the issuing office for a new copy.`);
    return 1;
  }
  run.print(
    verdict.keyCompared
      ? `VALID: nothing was changed since the package was signed, and it was signed by the expected key ${expectedLabel}.`
      : `VALID: nothing was changed since the package was signed by key ${verdict.fingerprint}. Compare this fingerprint with the one the issuing office gives you (or pass --fingerprint) to know who signed it.`,
  );
  return 0;
}
