import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { en } from './messages-en.ts';
import { vi, type MessageKey } from './messages-vi.ts';

/**
 * Two languages, Vietnamese by default; the choice is kept in the browser (localStorage) and
 * set on <html lang>. t(key, values) fills {name} placeholders.
 */
export type Lang = 'vi' | 'en';
export type { MessageKey };
export type T = (key: MessageKey, values?: Record<string, string | number>) => string;

const CATALOGUES: Record<Lang, Record<MessageKey, string>> = { vi, en };
const STORAGE_KEY = 'vigil.lang';

export function translator(lang: Lang): T {
  const cat = CATALOGUES[lang];
  return (key, values) => {
    const text = cat[key] ?? vi[key] ?? key;
    return values ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in values ? String(values[name]) : m)) : text;
  };
}

export function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'vi' || saved === 'en') return saved;
  } catch {
    /* storage may be disabled: keep the default */
  }
  return 'vi';
}

export function saveLang(lang: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    /* not fatal: the choice lasts this page only */
  }
  document.documentElement.lang = lang;
}

export interface I18n {
  lang: Lang;
  t: T;
  setLang(lang: Lang): void;
}

export const I18nContext = createContext<I18n>({ lang: 'vi', t: translator('vi'), setLang: () => {} });

export function useI18n(): I18n {
  return useContext(I18nContext);
}

/** The word for a camera state (glossary), falling back to the raw state. */
export function stateKey(state: string): MessageKey {
  const k = `state.${state}` as MessageKey;
  return k in vi ? k : 'state.unknown';
}

/** The words for a gap reason. */
export function reasonText(t: T, reason: string): string {
  const k = `reason.${reason}` as MessageKey;
  return k in vi ? t(k) : t('reason.other', { reason });
}

/** A duration in words: "45 giây", "13 phút 28 giây", "2 giờ 5 phút" (never read as a clock time). */
export function durationText(t: T, ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return t('dur.hm', { h, m });
  if (m > 0) return t('dur.ms', { m, s });
  return t('dur.s', { s });
}
