import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import { ErrorMessage } from "../components/ErrorMessage";
import { InstanceList } from "../components/InstanceList";
import { useI18n } from "../i18n";
import { href, navigate } from "../router";

export function MyRequestsPage({ query }: { query: URLSearchParams }) {
  const { t } = useI18n();
  const list = useQuery({ queryKey: ["instances", "mine"], queryFn: () => api.instances({ mine: true, limit: 500 }) });
  return (
    <>
      <h1>{t("requests.title")}</h1>
      <ErrorMessage error={list.error} />
      {list.data && <InstanceList testId="my-requests" rows={list.data.data} pageIndex={Number(query.get("page") ?? 0)} onPage={(p) => navigate(href("requests", { page: p }))} />}
    </>
  );
}
