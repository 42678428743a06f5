import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../api/client";
import { ErrorMessage } from "../components/ErrorMessage";
import { LanguageSwitch } from "../components/LanguageSwitch";
import { useI18n } from "../i18n";

export function SignInPage({ onSignedIn }: { onSignedIn: (token: string) => void }) {
  const { t } = useI18n();
  const config = useQuery({ queryKey: ["console-config"], queryFn: api.config });
  const [admin, setAdmin] = useState(false);
  const signIn = useMutation({
    mutationFn: ({ user, groups }: { user: string; groups: string[] }) => api.devToken(user, admin ? [...groups, config.data?.admin_group ?? "admin"] : groups),
    onSuccess: (body) => onSignedIn(body.token),
  });
  return (
    <main id="main" className="signin">
      <h1>{t("auth.title")}</h1>
      <LanguageSwitch />
      <ErrorMessage error={config.error ?? signIn.error} />
      {config.data?.dev_sign_in ? (
        <section aria-labelledby="dev-users">
          <h2 id="dev-users">{t("auth.devUsers")}</h2>
          <p>{t("auth.devHint")}</p>
          <label>
            <input type="checkbox" checked={admin} onChange={(e) => setAdmin(e.target.checked)} /> {t("auth.asAdmin")}
          </label>
          <ul className="users">
            {(config.data.dev_users ?? []).map((u) => (
              <li key={u.id}>
                <button type="button" data-testid={`sign-in-as-${u.id}`} onClick={() => signIn.mutate({ user: u.id, groups: u.groups ?? [] })}>
                  {u.name ?? u.id} <span className="muted">({[u.id, ...(u.groups ?? [])].join(", ")})</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : config.data ? (
        <p>{t("auth.noSignIn")}</p>
      ) : null}
    </main>
  );
}
