// Message catalogs (zh-CN, en): the browser's preference first, switchable, remembered.
import { createContext, useContext, useMemo, useState, type ReactNode } from "react";
import { en, type MessageKey } from "./en";
import { zhCN } from "./zh-CN";
import type { Lang } from "../format";

const CATALOGS: Record<Lang, Record<MessageKey, string>> = { en, "zh-CN": zhCN };
const KEY = "shenpi.lang";

export function preferredLang(stored: string | null, languages: readonly string[]): Lang {
  if (stored === "en" || stored === "zh-CN") return stored;
  for (const l of languages) {
    if (l.toLowerCase().startsWith("zh")) return "zh-CN";
    if (l.toLowerCase().startsWith("en")) return "en";
  }
  return "zh-CN";
}

export function translate(lang: Lang, key: MessageKey, params: Record<string, string | number> = {}): string {
  const text = CATALOGS[lang][key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

export type T = (key: MessageKey, params?: Record<string, string | number>) => string;

interface I18n {
  lang: Lang;
  t: T;
  setLang: (lang: Lang) => void;
}

const Context = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(() => preferredLang(localStorage.getItem(KEY), navigator.languages ?? [navigator.language]));
  const value = useMemo<I18n>(() => {
    document.documentElement.lang = lang;
    return {
      lang,
      t: (key, params) => translate(lang, key, params),
      setLang: (next) => {
        localStorage.setItem(KEY, next);
        setLangState(next);
      },
    };
  }, [lang]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useI18n(): I18n {
  const ctx = useContext(Context);
  if (!ctx) throw new Error("useI18n outside I18nProvider");
  return ctx;
}
