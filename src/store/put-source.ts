/**
 * What a put stores: a file on local disk (the uploader's spool file) or bytes in memory.
 * A bare Buffer is accepted as { data }.
 */
export type PutSource = { filePath: string } | { data: Buffer } | Buffer;

export function normalizePutSource(source: PutSource): { filePath: string } | { data: Buffer } {
  return Buffer.isBuffer(source) ? { data: source } : source;
}
