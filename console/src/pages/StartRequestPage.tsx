import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api } from "../api/client";
import { CamundaForm } from "../components/CamundaForm";
import { ErrorMessage } from "../components/ErrorMessage";
import { StartFields, type Values } from "../components/StartFields";
import { useI18n } from "../i18n";
import { href, instancePath, navigate } from "../router";

export function StartRequestPage({ processId }: { processId: string }) {
  const { t } = useI18n();
  const form = useQuery({ queryKey: ["start-form", processId], queryFn: () => api.startForm(processId) });
  const [values, setValues] = useState<Values>({});
  const [businessKey, setBusinessKey] = useState("");
  const start = useMutation({
    mutationFn: (variables: Values) => api.start(processId, { variables, business_key: businessKey.trim() || null }),
    onSuccess: (started) => navigate(href(instancePath(started.instance_id))),
  });
  const documents = (form.data?.fields ?? []).filter((f) => f.type === "document");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    start.mutate(values);
  };
  return (
    <>
      <h1>{t("start.formTitle", { process: processId })}</h1>
      <ErrorMessage error={form.error} />
      {form.data?.form ? (
        <>
          <StartFields fields={documents} values={values} onChange={setValues} />
          <CamundaForm schema={form.data.form} onSubmit={(data) => start.mutate({ ...data, ...values })} />
        </>
      ) : form.data ? (
        <form onSubmit={submit} data-testid="start-form">
          <StartFields fields={form.data.fields ?? []} values={values} onChange={setValues} />
          <div className="field">
            <label htmlFor="business-key">{t("start.businessKey")}</label>
            <input id="business-key" value={businessKey} onChange={(e) => setBusinessKey(e.target.value)} />
          </div>
          <button type="submit" disabled={start.isPending}>{t("start.submit")}</button>
        </form>
      ) : null}
      <ErrorMessage error={start.error} />
    </>
  );
}
