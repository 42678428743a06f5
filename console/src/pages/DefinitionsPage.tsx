import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import type { Claims } from "../auth";
import { DeployForm } from "../components/DeployForm";
import { DiagramView } from "../components/DiagramView";
import { ErrorMessage } from "../components/ErrorMessage";
import { Link } from "../components/Link";
import { formatDateTime } from "../format";
import { useI18n } from "../i18n";

export function DefinitionsPage({ me, processId, query }: { me: Claims; processId?: string; query: URLSearchParams }) {
  const { t, lang } = useI18n();
  const definitions = useQuery({ queryKey: ["definitions"], queryFn: api.definitions });
  return (
    <>
      <h1>{t("definitions.title")}</h1>
      {me.groups.includes("admin") && <DeployForm />}
      <ErrorMessage error={definitions.error} />
      <div className="table-wrap">
        <table data-testid="definitions">
          <thead>
            <tr>
              <th scope="col">{t("definitions.process")}</th>
              <th scope="col">{t("definitions.version")}</th>
              <th scope="col">{t("definitions.deployed")}</th>
            </tr>
          </thead>
          <tbody>
            {(definitions.data?.data ?? []).map((d) => (
              <tr key={d.process_id}>
                <td><Link to={`definitions/${encodeURIComponent(d.process_id)}`}>{d.name ?? d.process_id}</Link> <span className="muted">{d.process_id}</span></td>
                <td>v{d.version}</td>
                <td>{formatDateTime(d.deployed_at, lang)} · {d.deployed_by}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {processId && <Versions processId={processId} version={query.get("version")} />}
    </>
  );
}

function Versions({ processId, version }: { processId: string; version: string | null }) {
  const { t, lang } = useI18n();
  const versions = useQuery({ queryKey: ["versions", processId], queryFn: () => api.versions(processId) });
  const shown = version ? Number(version) : versions.data?.data[0]?.version;
  const xml = useQuery({ queryKey: ["bpmn", processId, shown], queryFn: () => api.bpmn(processId, shown ?? 1), enabled: shown !== undefined, staleTime: Infinity });
  return (
    <section aria-labelledby="versions-heading" className="panel">
      <h2 id="versions-heading">{t("definitions.versionsOf", { process: processId })}</h2>
      <ErrorMessage error={versions.error ?? xml.error} />
      <ul className="versions">
        {(versions.data?.data ?? []).map((v) => (
          <li key={v.version}>
            <Link to={`definitions/${encodeURIComponent(processId)}`} query={{ version: v.version }} aria-current={v.version === shown ? "true" : undefined}>v{v.version}</Link>{" "}
            <span className="muted">{formatDateTime(v.deployed_at, lang)} · {v.deployed_by} · {v.hash.slice(0, 12)}</span>
            {(v.warnings ?? []).length > 0 && <span> · {t("definitions.warnings", { n: (v.warnings ?? []).length })}</span>}
          </li>
        ))}
      </ul>
      <p><Link to="instances" query={{ process: processId }}>{t("definitions.instances")}</Link> · <Link to={`start/${encodeURIComponent(processId)}`}>{t("nav.start")}</Link></p>
      {xml.data && <DiagramView xml={xml.data} />}
    </section>
  );
}
