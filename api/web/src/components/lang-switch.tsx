import { useI18n } from '../i18n.ts';

/** One button: shows the other language's name and switches to it. */
export function LangSwitch() {
  const { lang, t, setLang } = useI18n();
  const other = lang === 'vi' ? 'en' : 'vi';
  return (
    <button type="button" class="lang-switch" lang={other} title={t('lang.switchTitle')} data-testid="lang-switch" onClick={() => setLang(other)}>
      {t('lang.switch')}
    </button>
  );
}
