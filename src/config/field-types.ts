import { z } from 'zod';

/**
 * The field types every part of the configuration schema shares, with their plain-word
 * errors: ids, ports, durations, time zones. One definition, so a message reads the same
 * wherever the key is.
 */
export const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export const slug = (what: string) =>
  z.string().regex(SLUG, {
    error: `must be a ${what} id of lowercase letters, digits and dashes (e.g. "ward-x-counter-3")`,
  });

export const port = z
  .number({ error: 'must be a TCP port number' })
  .int({ error: 'must be a whole number' })
  .min(1, { error: 'must be from 1 to 65535' })
  .max(65535, { error: 'must be from 1 to 65535' });

export const positiveMs = z.number().int({ error: 'must be a whole number of milliseconds' }).positive({ error: 'must be above 0' });

export const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { error: 'must be an IANA time zone such as "Asia/Ho_Chi_Minh"' },
);
