import { fieldLabel, inputKind, type FieldValue, type FormField } from "../taskFields";

/** A task's generated fields (Camunda 7 form fields, Flowable form properties): one input per
 * field by its type. Read-only fields show their value and cannot be changed. */
export function TaskFields({ fields, values, missing, onChange }: { fields: FormField[]; values: Record<string, FieldValue>; missing: ReadonlySet<string>; onChange: (values: Record<string, FieldValue>) => void }) {
  return (
    <>
      {fields.map((field) => (
        <FieldInput key={field.id} field={field} value={values[field.id] ?? ""} invalid={missing.has(field.id)} onChange={(v) => onChange({ ...values, [field.id]: v })} />
      ))}
    </>
  );
}

function FieldInput({ field, value, invalid, onChange }: { field: FormField; value: FieldValue; invalid: boolean; onChange: (v: FieldValue) => void }) {
  const id = `task-field-${field.id}`;
  const kind = inputKind(field.type);
  const readOnly = field.writable === false;
  const label = fieldLabel(field);
  const common = { id, name: field.id, required: field.required && !readOnly, "aria-invalid": invalid || undefined };
  if (kind === "checkbox")
    return (
      <div className="field">
        <label htmlFor={id}>
          <input {...common} type="checkbox" checked={value === true} disabled={readOnly} onChange={(e) => onChange(e.target.checked)} /> {label}
        </label>
      </div>
    );
  const text = typeof value === "string" ? value : "";
  return (
    <div className="field">
      <label htmlFor={id} className={common.required ? "required" : undefined}>{label}</label>
      {kind === "select" ? (
        <select {...common} value={text} disabled={readOnly} onChange={(e) => onChange(e.target.value)}>
          {(!field.required || text === "") && <option value="">—</option>}
          {(field.values ?? []).map((v) => <option key={v.id} value={v.id}>{v.name ?? v.id}</option>)}
        </select>
      ) : (
        <input
          {...common}
          type={kind}
          step={kind === "number" ? (field.type?.trim().toLowerCase() === "double" ? "any" : "1") : undefined}
          readOnly={readOnly}
          value={text}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </div>
  );
}
