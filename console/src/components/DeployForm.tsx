import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { api, ApiError, deployContentType, type Diagnostic } from "../api/client";
import { useI18n } from "../i18n";
import { href, navigate } from "../router";
import { DiagramView, type Pin } from "./DiagramView";
import { ErrorMessage } from "./ErrorMessage";

/** Deploy a BPMN, DMN or Camunda Form file; when it does not compile, every diagnostic is listed (and, for BPMN, pinned on the diagram). */
export function DeployForm() {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [xml, setXml] = useState<string | null>(null);
  const [decided, setDecided] = useState<string | null>(null);
  const deploy = useMutation({
    mutationFn: api.deploy,
    onSuccess: (d) => {
      void queryClient.invalidateQueries({ queryKey: ["definitions"] });
      if (d.kind === "dmn") {
        // A decision file has no process page (and no diagram): say what was deployed here.
        setDecided(t("deploy.dmnDone", { id: d.process_id, version: d.version, decisions: (d.decisions ?? []).join(", ") }));
        return;
      }
      if (d.kind === "form") {
        // Neither has a form: processes that link it by id show it on their tasks.
        setDecided(t("deploy.formDone", { id: d.process_id, version: d.version, fields: (d.fields ?? []).join(", ") }));
        return;
      }
      void queryClient.invalidateQueries({ queryKey: ["versions", d.process_id] });
      navigate(href(`definitions/${encodeURIComponent(d.process_id)}`, { version: d.version }));
    },
  });
  const diagnostics: Diagnostic[] = deploy.error instanceof ApiError && deploy.error.code === "compile_error" && Array.isArray(deploy.error.details) ? (deploy.error.details as Diagnostic[]) : [];
  const pins = useMemo<Pin[]>(() => diagnostics.filter((d) => d.element_id).map((d) => ({ elementId: d.element_id!, text: `${d.code}: ${d.message}` })), [deploy.error]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <section aria-labelledby="deploy-heading" className="panel">
      <h2 id="deploy-heading">{t("deploy.title")}</h2>
      <label htmlFor="deploy-file">{t("deploy.file")}</label>{" "}
      <input
        id="deploy-file"
        type="file"
        accept=".bpmn,.dmn,.form,.xml,.json,application/xml,application/json"
        onChange={async (e) => {
          const file = e.target.files?.[0];
          if (!file) return;
          const text = await file.text();
          setXml(text);
          setDecided(null);
          deploy.mutate(text);
        }}
      />
      {deploy.isPending && <p>{t("deploy.compiling")}</p>}
      {decided && <p role="status" data-testid="deployed-decisions">{decided}</p>}
      {diagnostics.length > 0 ? (
        <>
          <div role="alert" className="error" data-testid="error-message">
            <strong>{t("deploy.failed")}</strong> {(deploy.error as ApiError).message}
          </div>
          <ul data-testid="diagnostics">
            {diagnostics.map((d, i) => (
              <li key={i}>
                <span className="mono">{d.code}</span> {d.message}
                {d.element_id && <span> · {t("deploy.element", { id: d.element_id })}</span>}
                {d.line != null && <span> · {t("deploy.line", { n: d.line })}</span>}
              </li>
            ))}
          </ul>
          {xml && deployContentType(xml) === "application/xml" && !xml.includes("/DMN/") && <DiagramView xml={xml} pins={pins} />}
        </>
      ) : (
        <ErrorMessage error={deploy.error} />
      )}
    </section>
  );
}
