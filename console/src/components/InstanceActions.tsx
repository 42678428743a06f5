import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, type Instance } from "../api/client";
import type { Claims } from "../auth";
import { useI18n } from "../i18n";
import { ErrorMessage } from "./ErrorMessage";

/** Withdraw (撤回), cancel (撤销), urge (催办): the requester's actions on a running request. */
export function InstanceActions({ me, instance }: { me: Claims; instance: Instance }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [comment, setComment] = useState("");
  const act = useMutation({
    mutationFn: (action: "withdraw" | "cancel" | "urge") => api.instanceAction(instance.instance_id, action, comment.trim() || undefined),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["instance", instance.instance_id] }),
  });
  const mine = instance.initiator === me.sub;
  if (instance.status !== "running" || !(mine || me.groups.includes("admin"))) return null;
  return (
    <section aria-labelledby="request-actions" className="panel">
      <h2 id="request-actions">{t("requestActions.title")}</h2>
      <div className="field">
        <label htmlFor="request-comment">{t("task.comment")}</label>
        <input id="request-comment" value={comment} onChange={(e) => setComment(e.target.value)} />
      </div>
      <div className="buttons">
        {mine && <button type="button" onClick={() => act.mutate("withdraw")} disabled={act.isPending}>{t("action.withdraw")}</button>}
        <button type="button" className="danger" onClick={() => act.mutate("cancel")} disabled={act.isPending}>{t("action.cancel")}</button>
        {mine && <button type="button" onClick={() => act.mutate("urge")} disabled={act.isPending}>{t("action.urge")}</button>}
      </div>
      <ErrorMessage error={act.error} />
      {act.data && <p role="status">{t("requestActions.done")}{act.data.notified?.length ? `: ${act.data.notified.join(", ")}` : ""}</p>}
    </section>
  );
}
