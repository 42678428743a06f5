import type { ReactNode } from "react";
import type { Claims } from "../auth";
import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/en";
import { Link } from "./Link";
import { LanguageSwitch } from "./LanguageSwitch";

const NAV: { path: string; label: MessageKey; admin?: boolean }[] = [
  { path: "inbox", label: "nav.inbox" },
  { path: "start", label: "nav.start" },
  { path: "requests", label: "nav.requests" },
  { path: "definitions", label: "nav.definitions" },
  { path: "instances", label: "nav.instances", admin: true },
];

export function Layout({ me, onSignOut, current, children }: { me: Claims; onSignOut: () => void; current: string; children: ReactNode }) {
  const { t } = useI18n();
  return (
    <>
      <a className="skip" href="#main">{t("nav.skip")}</a>
      <header className="top">
        <span className="brand">{t("app.name")}</span>
        <nav aria-label={t("nav.label")}>
          <ul>
            {NAV.filter((n) => !n.admin || me.groups.includes("admin")).map((n) => (
              <li key={n.path}>
                <Link to={n.path} aria-current={current === n.path ? "page" : undefined}>{t(n.label)}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span data-testid="signed-in-user">{me.sub}</span>
          <LanguageSwitch />
          <button type="button" className="link" onClick={onSignOut}>{t("auth.signOut")}</button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>{children}</main>
    </>
  );
}
