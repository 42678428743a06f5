import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import { ErrorMessage } from "../components/ErrorMessage";
import { Link } from "../components/Link";
import { useI18n } from "../i18n";

export function StartListPage() {
  const { t } = useI18n();
  const definitions = useQuery({ queryKey: ["definitions"], queryFn: api.definitions });
  return (
    <>
      <h1>{t("start.title")}</h1>
      <ErrorMessage error={definitions.error} />
      <ul className="cards" data-testid="start-list">
        {(definitions.data?.data ?? []).map((d) => (
          <li key={d.process_id}>
            <Link to={`start/${encodeURIComponent(d.process_id)}`}>{d.name ?? d.process_id}</Link>
            <div className="muted">{d.process_id} · v{d.version}</div>
          </li>
        ))}
      </ul>
    </>
  );
}
