import { VigilError } from '../src/errors.ts';

/**
 * `--password -`: the password is read from standard input (its first line), so it does not
 * appear in the process list or the shell history. Only a pipe or file is accepted: reading
 * from a terminal would show the password as it is typed.
 */
export const MAX_SECRET_BYTES = 4096;

export async function readSecretFromStdin(what: string, stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (stdin.isTTY) {
    throw new VigilError('config_invalid', `${what} "-" reads the password from standard input, which is a terminal here; pipe it in instead, e.g. from a file only you may read: < password.txt`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    chunks.push(buf);
    size += buf.length;
    if (size > MAX_SECRET_BYTES) break;
  }
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (line === '') throw new VigilError('config_invalid', `${what} "-" found no password on standard input (an empty first line)`);
  return line;
}
