import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import { ErrorMessage } from "../components/ErrorMessage";
import { IncidentsPanel } from "../components/IncidentsPanel";
import { InstanceList } from "../components/InstanceList";
import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/en";
import { href, navigate } from "../router";

const STATUSES = ["running", "completed", "incident", "terminated", "cancelled"];

/** Every instance (admins), filtered by process and status; status=incident lists incidents. */
export function InstancesPage({ query }: { query: URLSearchParams }) {
  const { t } = useI18n();
  const process = query.get("process") ?? "";
  const status = query.get("status") ?? "";
  const definitions = useQuery({ queryKey: ["definitions"], queryFn: api.definitions });
  const list = useQuery({ queryKey: ["instances", process, status], queryFn: () => api.instances({ process_id: process || undefined, status: status || undefined, limit: 1000 }) });
  const set = (changes: Record<string, string | undefined>) => navigate(href("instances", { process: process || undefined, status: status || undefined, ...changes }), true);
  return (
    <>
      <h1>{t("instances.title")}</h1>
      <form className="filters" role="search" aria-label={t("inbox.filters")} onSubmit={(e) => e.preventDefault()}>
        <label>
          {t("inbox.process")}
          <select value={process} onChange={(e) => set({ process: e.target.value || undefined })}>
            <option value="">{t("common.all")}</option>
            {(definitions.data?.data ?? []).map((d) => <option key={d.process_id} value={d.process_id}>{d.process_id}</option>)}
          </select>
        </label>
        <label>
          {t("instances.status")}
          <select value={status} onChange={(e) => set({ status: e.target.value || undefined })}>
            <option value="">{t("common.all")}</option>
            {STATUSES.map((s) => <option key={s} value={s}>{t(`status.${s}` as MessageKey)}</option>)}
          </select>
        </label>
      </form>
      <IncidentsPanel process={process || undefined} />
      <ErrorMessage error={list.error} />
      {list.data && <InstanceList testId="all-instances" rows={list.data.data} pageIndex={Number(query.get("page") ?? 0)} onPage={(p) => set({ page: String(p) })} />}
    </>
  );
}
