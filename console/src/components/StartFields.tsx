import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { api, type DocumentRef, type StartField } from "../api/client";
import { useI18n } from "../i18n";
import { DocumentPreview } from "./DocumentPreview";
import { ErrorMessage } from "./ErrorMessage";

export type Values = Record<string, unknown>;

/** The generated start form: one input per declared or read variable; documents upload at once. */
export function StartFields({ fields, values, onChange }: { fields: StartField[]; values: Values; onChange: (v: Values) => void }) {
  return (
    <>
      {fields.map((f) =>
        f.type === "document" ? (
          <DocumentField key={f.name} field={f} value={values[f.name] as DocumentRef | undefined} onChange={(doc) => onChange({ ...values, [f.name]: doc })} />
        ) : (
          <ScalarField key={f.name} field={f} value={values[f.name]} onChange={(v) => onChange({ ...values, [f.name]: v })} />
        ),
      )}
    </>
  );
}

function ScalarField({ field, value, onChange }: { field: StartField; value: unknown; onChange: (v: unknown) => void }) {
  const id = `field-${field.name}`;
  const label = field.label ? `${field.name} (${field.label})` : field.name;
  if (field.type === "boolean")
    return (
      <div className="field">
        <label htmlFor={id}>
          <input id={id} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} /> {label}
        </label>
      </div>
    );
  const long = field.name === "description" || field.type === "text" && field.label === "text";
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {long ? (
        <textarea id={id} required={field.required} value={String(value ?? "")} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input
          id={id}
          type={field.type === "number" ? "number" : "text"}
          required={field.required}
          step="any"
          value={value === undefined ? "" : String(value)}
          onChange={(e) => onChange(field.type === "number" ? (e.target.value === "" ? undefined : Number(e.target.value)) : e.target.value)}
        />
      )}
    </div>
  );
}

function DocumentField({ field, value, onChange }: { field: StartField; value: DocumentRef | undefined; onChange: (doc: DocumentRef | undefined) => void }) {
  const { t } = useI18n();
  const [file, setFile] = useState<File | undefined>();
  const upload = useMutation({ mutationFn: api.upload, onSuccess: (doc) => onChange(doc) });
  const id = `field-${field.name}`;
  return (
    <div className="field">
      <label htmlFor={id}>{field.label ? `${field.name} (${field.label})` : field.name}</label>
      <input
        id={id}
        type="file"
        accept="image/*,application/pdf"
        onChange={(e) => {
          const chosen = e.target.files?.[0];
          setFile(chosen);
          onChange(undefined);
          if (chosen) upload.mutate(chosen);
        }}
      />
      {upload.isPending && <p>{t("start.uploading")}</p>}
      <ErrorMessage error={upload.error} />
      {value && <p data-testid={`uploaded-${field.name}`}>{t("start.uploaded", { name: value.name ?? value.document_id })}</p>}
      {value && <DocumentPreview doc={value} local={file} />}
    </div>
  );
}
