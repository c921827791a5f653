import type { T } from './i18n.ts';

/**
 * A retention schedule (5-field cron, as the configuration holds it) in the words of the page:
 * "every day at 02:30", "every 6 hours, at minute 15". The forms staff meet are said in words;
 * anything else is shown as the expression itself, named as such. Pure.
 */
const NUM = /^\d{1,2}$/;

export function scheduleText(t: T, cron: string): string {
  const f = cron.trim().split(/\s+/);
  if (f.length === 5 && f[2] === '*' && f[3] === '*' && f[4] === '*' && NUM.test(f[0]!)) {
    const minute = Number(f[0]);
    if (minute <= 59 && NUM.test(f[1]!) && Number(f[1]) <= 23) {
      return t('schedule.daily', { time: `${f[1]!.padStart(2, '0')}:${f[0]!.padStart(2, '0')}` });
    }
    const every = /^\*\/(\d{1,2})$/.exec(f[1]!);
    if (minute <= 59 && every && Number(every[1]) >= 1 && Number(every[1]) <= 23) {
      return t('schedule.everyHours', { hours: Number(every[1]), minute });
    }
    if (minute <= 59 && f[1] === '*') return t('schedule.hourly', { minute });
  }
  return t('schedule.cron', { expression: cron });
}
