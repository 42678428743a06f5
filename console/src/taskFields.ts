// A task's generated fields (Camunda 7 `camunda:formField`, Flowable `flowable:formProperty`) as
// inputs, and what the inputs hold as the typed variables a decision sends.
import type { Schemas } from "./api/client";

export type FormField = Schemas["FormField"];
export type FieldInput = "text" | "number" | "checkbox" | "date" | "select";
/** What an input holds: a checkbox its state, the others their text (a date input `yyyy-mm-dd`). */
export type FieldValue = string | boolean;

const WHOLE = new Set(["long", "integer", "int", "short"]);

/** The input a field's type is shown with; types Camunda and Flowable leave to plugins are text. */
export function inputKind(type: string | undefined): FieldInput {
  const t = (type ?? "string").trim().toLowerCase();
  if (WHOLE.has(t) || t === "double") return "number";
  if (t === "boolean") return "checkbox";
  if (t === "date") return "date";
  if (t === "enum") return "select";
  return "text";
}

export function isWholeNumber(type: string | undefined): boolean {
  return WHOLE.has((type ?? "").trim().toLowerCase());
}

/** A date as a date input holds it (`yyyy-mm-dd`), from ISO text or Camunda 7's default format
 * `dd/MM/yyyy`; "" when the text is neither or no such day exists. */
export function dateInputValue(text: string): string {
  const s = text.trim();
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(s);
  const camunda = iso ? null : /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s);
  const parts = iso ? [iso[1], iso[2], iso[3]] : camunda ? [camunda[3], camunda[2], camunda[1]] : null;
  if (!parts) return "";
  const [y, mo, d] = parts.map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return "";
  return `${String(y).padStart(4, "0")}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** An expression default (`${initiator}`, `#{…}`) is the engine's to evaluate, not a value. */
function isExpression(text: string): boolean {
  return /^\s*[$#]\{/.test(text);
}

/** What a field's input starts with: the instance's variable of that name when it has one (as
 * Camunda 7 and Flowable show it), else the field's default. */
export function initialValue(field: FormField, current: unknown): FieldValue {
  let source: unknown = current;
  if (source === undefined || source === null || typeof source === "object") {
    source = field.default != null && !isExpression(field.default) ? field.default : undefined;
  }
  const kind = inputKind(field.type);
  if (kind === "checkbox") return source === true || (typeof source === "string" && source.trim().toLowerCase() === "true");
  if (source === undefined) return "";
  const text = String(source);
  if (kind === "date") return dateInputValue(text);
  if (kind === "number") return text.trim() !== "" && Number.isFinite(Number(text)) ? text.trim() : "";
  if (kind === "select") return (field.values ?? []).some((v) => v.id === text) ? text : "";
  return text;
}

export function initialValues(fields: FormField[], variables: Record<string, unknown>): Record<string, FieldValue> {
  return Object.fromEntries(fields.map((f) => [f.id, initialValue(f, variables[f.id])]));
}

export interface FieldCheck {
  /** Name → typed value: numbers as numbers, booleans as booleans, dates as `yyyy-mm-dd`. */
  variables: Record<string, unknown>;
  /** Required fields left empty. */
  missing: FormField[];
  /** Number fields whose text is not a number of their type (a whole number for long/integer). */
  invalid: FormField[];
}

/** The variables a decision sends from what the inputs hold. Read-only (non-writable) fields are
 * not sent: the task does not let a decision write them. An empty optional field is left out. */
export function fieldVariables(fields: FormField[], values: Record<string, FieldValue>): FieldCheck {
  const check: FieldCheck = { variables: {}, missing: [], invalid: [] };
  for (const field of fields) {
    if (field.writable === false || !field.id) continue;
    const kind = inputKind(field.type);
    const value = values[field.id];
    if (kind === "checkbox") {
      check.variables[field.id] = value === true;
      continue;
    }
    const text = typeof value === "string" ? value : "";
    if (text.trim() === "") {
      if (field.required) check.missing.push(field);
      continue;
    }
    if (kind === "number") {
      const n = Number(text);
      if (!Number.isFinite(n) || (isWholeNumber(field.type) && !Number.isInteger(n))) check.invalid.push(field);
      else check.variables[field.id] = n;
    } else if (kind === "date") {
      const day = dateInputValue(text);
      if (day) check.variables[field.id] = day;
      else check.invalid.push(field);
    } else {
      check.variables[field.id] = text;
    }
  }
  return check;
}

export function fieldLabel(field: FormField): string {
  return field.label?.trim() || field.id;
}
