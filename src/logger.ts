import { pino, type Logger, type DestinationStream } from 'pino';
import { redactText, scrubSecrets } from './redact.ts';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: DestinationStream;
  /** Fields on every line, e.g. { role: 'recorder' }. */
  base?: Record<string, unknown>;
}

/**
 * Structured JSON logs, one line per event. Every merged object and message is scrubbed of
 * secrets before it is written, so a careless `log.info({ url })` cannot leak a password.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: 'vigil', ...opts.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => scrubSecrets(obj) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? redactText(a) : a));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
