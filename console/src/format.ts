// Pure formatting and list logic, unit-tested (format.test.ts).
import type { DocumentRef } from "./api/client";
import type { paths } from "./api/schema";

export type TasksQuery = NonNullable<paths["/api/v1/tasks"]["get"]["parameters"]["query"]>;

export type Lang = "zh-CN" | "en";

export function formatDateTime(value: string | null | undefined, lang: Lang, timeZone?: string): string {
  if (!value) return "—";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  return new Intl.DateTimeFormat(lang, { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false, timeZone }).format(d);
}

/** "due in 3 h" / "overdue by 2 d"; null without a due date. */
export function dueState(due: string | null | undefined, now: Date): { overdue: boolean; amount: number; unit: "m" | "h" | "d" } | null {
  if (!due) return null;
  const ms = new Date(due).getTime() - now.getTime();
  const abs = Math.abs(ms);
  const minutes = Math.round(abs / 60000);
  const [amount, unit] = minutes < 60 ? [minutes, "m" as const] : minutes < 48 * 60 ? [Math.round(minutes / 60), "h" as const] : [Math.round(minutes / 1440), "d" as const];
  return { overdue: ms < 0, amount, unit };
}

export function percent(confidence: number | null | undefined): string {
  if (confidence === null || confidence === undefined || Number.isNaN(confidence)) return "—";
  return `${Math.round(Math.max(0, Math.min(1, confidence)) * 100)}%`;
}

export type InboxSort = "newest" | "due" | "oldest";

export interface InboxFilter {
  process?: string;
  overdue?: boolean;
  advice?: string; // approve / reject / abstain / none
  text?: string;
  sort?: InboxSort;
}

export const INBOX_PAGE_SIZE = 20;
// The instances the API reads for an ordered or filtered page (its maximum).
export const INBOX_SCAN = 1000;

/** The query of one inbox page: the API orders, filters and pages (`GET /api/v1/tasks`). */
export function inboxQuery(filter: InboxFilter, pageToken?: string): TasksQuery {
  return {
    page_size: INBOX_PAGE_SIZE,
    limit: INBOX_SCAN,
    sort: filter.sort ?? "newest",
    process_id: filter.process,
    overdue: filter.overdue || undefined,
    advice: filter.advice as TasksQuery["advice"],
    q: filter.text?.trim() || undefined,
    page_token: pageToken,
  };
}

/** The pages visited so far: the token of each (the first page has none). */
export function nextTrail(trail: (string | undefined)[], move: "next" | "previous", nextToken?: string | null): (string | undefined)[] {
  if (move === "previous") return trail.length > 1 ? trail.slice(0, -1) : trail;
  return nextToken ? [...trail, nextToken] : trail;
}

export function page<T>(rows: T[], pageIndex: number, size: number): { rows: T[]; pages: number; index: number } {
  const pages = Math.max(1, Math.ceil(rows.length / size));
  const index = Math.min(Math.max(0, pageIndex), pages - 1);
  return { rows: rows.slice(index * size, index * size + size), pages, index };
}

/** Document references anywhere in the variables: `{document_id, ...}` objects, with the variable. */
export function documentsIn(variables: Record<string, unknown>): { variable: string; doc: DocumentRef }[] {
  const found: { variable: string; doc: DocumentRef }[] = [];
  for (const [name, value] of Object.entries(variables)) {
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      if (item && typeof item === "object" && typeof (item as { document_id?: unknown }).document_id === "string") {
        found.push({ variable: name, doc: item as DocumentRef });
      }
    }
  }
  return found;
}

/** Scalar request fields to show (documents and OCR results are shown on their own). */
export function requestFields(variables: Record<string, unknown>): [string, string][] {
  return Object.entries(variables)
    .filter(([k, v]) => !k.endsWith("_ocr") && !(v && typeof v === "object" && "document_id" in v))
    .map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]);
}

/** OCR results: variables ending in `_ocr`, as field/value pairs, next to their document. */
export function ocrFields(variables: Record<string, unknown>, documentVariable: string): [string, string][] {
  const ocr = variables[`${documentVariable}_ocr`];
  if (!ocr || typeof ocr !== "object") return [];
  return Object.entries(ocr as Record<string, unknown>)
    .filter(([k, v]) => v !== null && v !== "" && k !== "text" && typeof v !== "object")
    .map(([k, v]) => [k, String(v)]);
}
