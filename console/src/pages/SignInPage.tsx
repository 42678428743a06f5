import { useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api } from "../api/client";
import { inWeChat, inWeChatWork, lastSignInError, startWeChatSignIn, takePendingDevToken } from "../auth";
import { ErrorMessage } from "../components/ErrorMessage";
import { LanguageSwitch } from "../components/LanguageSwitch";
import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/en";
import { finishSignIn, startSignIn } from "../oidc";
import { navigate } from "../router";

export function SignInPage({ onSignedIn }: { onSignedIn: (token: string) => void }) {
  const { t } = useI18n();
  const config = useQuery({ queryKey: ["console-config"], queryFn: api.config });
  const [admin, setAdmin] = useState(false);
  const [failure] = useState(lastSignInError);
  const devSignIn = useMutation({
    mutationFn: ({ user, groups }: { user: string; groups: string[] }) => api.devToken(user, admin ? [...groups, config.data?.admin_group ?? "admin"] : groups),
    onSuccess: (body) => onSignedIn(body.token),
  });
  const oidc = config.data?.oidc;
  const sso = useMutation({ mutationFn: () => startSignIn(oidc!, location.pathname + location.search) });
  const back = useMutation({
    mutationFn: () => finishSignIn(oidc!, new URLSearchParams(location.search)),
    onSuccess: (result) => {
      if (!result) return;
      navigate(result.returnTo, true);
      onSignedIn(result.token);
    },
  });
  const wechat = inWeChatWork(navigator.userAgent) ? config.data?.wechat_work_oauth : inWeChat(navigator.userAgent) ? config.data?.wechat_mp_oauth : null;
  const returning = oidc && new URLSearchParams(location.search).has("code");

  useEffect(() => {
    if (!config.data?.dev_sign_in) return;
    const pending = takePendingDevToken();
    if (pending) onSignedIn(pending);
  }, [config.data?.dev_sign_in]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    if (returning && back.isIdle) back.mutate();
    // Inside WeChat one tap on a card should open the task: sign in without asking (once).
    else if (wechat && !failure) location.assign(startWeChatSignIn(wechat, location.pathname + location.search));
  }, [returning, wechat]); // eslint-disable-line react-hooks/exhaustive-deps

  return (
    <main id="main" className="signin">
      <h1>{t("auth.title")}</h1>
      <LanguageSwitch />
      {failure && <p role="alert" className="error" data-testid="sign-in-failure">{t(`auth.failed.${failure}` as MessageKey) === `auth.failed.${failure}` ? failure : t(`auth.failed.${failure}` as MessageKey)}</p>}
      <ErrorMessage error={config.error ?? devSignIn.error ?? sso.error ?? back.error} />
      {oidc && (
        <p>
          <button type="button" className="primary" data-testid="sign-in-sso" onClick={() => sso.mutate()} disabled={sso.isPending || back.isPending}>
            {t("auth.sso")}
          </button>
        </p>
      )}
      {wechat && failure && (
        <p>
          <button type="button" onClick={() => location.assign(startWeChatSignIn(wechat, location.pathname + location.search))}>
            {t("auth.wechat")}
          </button>
        </p>
      )}
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
                <button type="button" data-testid={`sign-in-as-${u.id}`} onClick={() => devSignIn.mutate({ user: u.id, groups: u.groups ?? [] })}>
                  {u.name ?? u.id} <span className="muted">({[u.id, ...(u.groups ?? [])].join(", ")})</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : config.data && !oidc ? (
        <p>{t("auth.noSignIn")}</p>
      ) : null}
    </main>
  );
}
