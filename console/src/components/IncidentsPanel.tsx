import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, type IncidentSummary } from "../api/client";
import { formatDateTime } from "../format";
import { useI18n } from "../i18n";
import { instancePath } from "../router";
import { ErrorMessage } from "./ErrorMessage";
import { Link } from "./Link";

/** Open incidents across instances (admins): retry runs the node again, resolve closes one whose cause is gone. */
export function IncidentsPanel({ process }: { process?: string }) {
  const { t } = useI18n();
  const incidents = useQuery({ queryKey: ["incidents", process], queryFn: () => api.incidents(process), refetchInterval: 5_000 });
  const rows = incidents.data?.data ?? [];
  return (
    <section aria-labelledby="incidents-heading" className="panel">
      <h2 id="incidents-heading">{t("incidents.title")}</h2>
      <ErrorMessage error={incidents.error} />
      {incidents.data && !rows.length && <p>{t("incidents.none")}</p>}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table data-testid="incidents-table">
            <thead>
              <tr>
                <th scope="col">{t("instances.id")}</th>
                <th scope="col">{t("incidents.node")}</th>
                <th scope="col">{t("incidents.kind")}</th>
                <th scope="col">{t("incidents.since")}</th>
                <th scope="col">{t("incidents.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((incident) => <IncidentRow key={`${incident.instance_id}/${incident.incident_id}`} incident={incident} />)}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function IncidentRow({ incident }: { incident: IncidentSummary }) {
  const { lang } = useI18n();
  return (
    <tr data-testid="incident-row">
      <td>
        <Link to={instancePath(incident.instance_id)}>{incident.instance_id}</Link>
        <div className="muted">{incident.process_id} · #{incident.incident_id}</div>
      </td>
      <td>{incident.node_id}</td>
      <td>{incident.kind}</td>
      <td>{formatDateTime(incident.at, lang)}</td>
      <td>
        <IncidentActions instanceId={incident.instance_id} incidentId={incident.incident_id} />
      </td>
    </tr>
  );
}

/** An admin's retry or resolve of one incident, with a comment; the API's refusal shows here. */
export function IncidentActions({ instanceId, incidentId }: { instanceId: string; incidentId: string }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [comment, setComment] = useState("");
  const act = useMutation({
    mutationFn: (action: "retry" | "resolve") => api.incidentAction(instanceId, incidentId, action, comment.trim() || undefined),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["incidents"] });
      void queryClient.invalidateQueries({ queryKey: ["instance", instanceId] });
    },
  });
  return (
    <div className="incident-actions">
      <input aria-label={t("incidents.comment", { id: `${instanceId} #${incidentId}` })} placeholder={t("task.comment")} value={comment} onChange={(e) => setComment(e.target.value)} />
      <div className="buttons">
        <button type="button" className="primary" disabled={act.isPending} onClick={() => act.mutate("retry")}>{t("incidents.retry")}</button>
        <button type="button" disabled={act.isPending} onClick={() => act.mutate("resolve")}>{t("incidents.resolve")}</button>
      </div>
      <ErrorMessage error={act.error} />
      {act.data && <p role="status">{t("incidents.done", { status: act.data.instance_status })}</p>}
    </div>
  );
}
