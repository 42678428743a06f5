import { useQueries } from "@tanstack/react-query";
import { api, type InstanceSummary } from "../api/client";
import { formatDateTime, page } from "../format";
import { useI18n } from "../i18n";
import { currentSteps } from "../progress";
import { instancePath } from "../router";
import { Link } from "./Link";
import { Pager } from "./Pager";
import { StatusBadge } from "./StatusBadge";

const PAGE_SIZE = 20;

/** Instances, a page at a time; running ones on the page show their current step and holder. */
export function InstanceList({ rows, pageIndex, onPage, testId }: { rows: InstanceSummary[]; pageIndex: number; onPage: (p: number) => void; testId: string }) {
  const { t, lang } = useI18n();
  const current = page(rows, pageIndex, PAGE_SIZE);
  const details = useQueries({
    queries: current.rows.map((r) => ({ queryKey: ["instance", r.instance_id], queryFn: () => api.instance(r.instance_id), enabled: r.status === "running" })),
  });
  return (
    <>
      <div className="table-wrap">
        <table data-testid={testId}>
          <thead>
            <tr>
              <th scope="col">{t("instances.id")}</th>
              <th scope="col">{t("instances.status")}</th>
              <th scope="col">{t("instances.step")}</th>
              <th scope="col">{t("instances.initiator")}</th>
              <th scope="col">{t("instances.started")}</th>
            </tr>
          </thead>
          <tbody>
            {current.rows.map((r, i) => {
              const steps = details[i]?.data ? currentSteps(details[i].data) : [];
              return (
                <tr key={r.instance_id} data-testid="instance-row">
                  <td>
                    <Link to={instancePath(r.instance_id)}>{r.instance_id}</Link>
                    <div className="muted">{r.process_id} v{r.version}</div>
                  </td>
                  <td><StatusBadge status={r.status} /></td>
                  <td data-testid="current-step">{steps.map((s) => `${s.node}${s.holders.length ? ` (${s.holders.join(", ")})` : ""}`).join("; ") || "—"}</td>
                  <td>{r.initiator ?? "—"}</td>
                  <td>{formatDateTime(r.started_at, lang)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {!rows.length && <p>{t("instances.none")}</p>}
      <Pager index={current.index} pages={current.pages} onPage={onPage} />
    </>
  );
}
