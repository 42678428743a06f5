// One typed client for the HTTP API. Paths and bodies come from src/api/schema.d.ts, which is
// generated from openapi.json (the API's schema, kept current by tests/console/test_openapi.py):
// a path or field the API does not have fails `tsc`.
import type { components, paths } from "./schema";
import { getToken } from "../auth";
import type { TasksQuery } from "../format";

export type Schemas = components["schemas"];
export type Task = Schemas["TaskPublic"];
export type TaskView = Schemas["TaskView"];
export type TaskWithForm = Schemas["TaskWithForm"];
export type Instance = Schemas["InstancePublic"];
export type InstanceSummary = Schemas["InstanceSummary"];
export type Definition = Schemas["DefinitionPublic"];
export type Deployed = Schemas["DefinitionDeployed"];
export type TimelineEntry = Schemas["TimelineEntry"];
export type StartForm = Schemas["StartFormPublic"];
export type StartField = Schemas["StartField"];
export type ConsoleConfig = Schemas["ConsoleConfig"];
export type DecisionCreate = Schemas["DecisionCreate"];
export type DocumentRef = Schemas["DocumentPublic"];
export type Diagnostic = Schemas["Diagnostic"];
export type IncidentSummary = Schemas["IncidentSummary"];

type Path = keyof paths;
const PREFIX = "";

/** An error answer of the API: `{"error": {code, message, details}}`, with its status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
  }
}

/** Fill `{name}` segments of a schema path; values are URL-encoded. */
export function fillPath(path: Path, params: Record<string, string | number> = {}): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
}

export function withQuery(url: string, query: Record<string, string | number | boolean | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") search.set(k, String(v));
  const text = search.toString();
  return text ? `${url}?${text}` : url;
}

async function toError(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; details?: unknown } };
    if (body.error) return new ApiError(res.status, body.error.code ?? "error", body.error.message ?? res.statusText, body.error.details);
  } catch {
    // not JSON: fall through
  }
  return new ApiError(res.status, "http_error", `${res.status} ${res.statusText}`);
}

export async function request(url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const token = getToken();
  if (token) headers.set("Authorization", `Bearer ${token}`);
  const res = await fetch(PREFIX + url, { ...init, headers });
  if (!res.ok) throw await toError(res);
  return res;
}

async function json<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await request(url, init);
  return (await res.json()) as T;
}

function post<T>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  return json<T>(url, { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json", ...headers } });
}

export const api = {
  config: () => json<ConsoleConfig>(fillPath("/api/v1/console/config")),
  devToken: (user: string, groups?: string[]) =>
    post<Schemas["DevTokenPublic"]>(fillPath("/api/v1/console/dev-token"), { user, groups }),
  definitions: () => json<Schemas["DefinitionsPublic"]>(fillPath("/api/v1/definitions")),
  versions: (processId: string) =>
    json<Schemas["DefinitionsPublic"]>(fillPath("/api/v1/definitions/{process_id}", { process_id: processId })),
  bpmn: async (processId: string, version: number) =>
    (await request(fillPath("/api/v1/definitions/{process_id}/versions/{version}/bpmn", { process_id: processId, version }))).text(),
  deploy: (text: string) =>
    json<Deployed>(fillPath("/api/v1/definitions"), { method: "POST", body: text, headers: { "Content-Type": deployContentType(text) } }),
  startForm: (processId: string) =>
    json<StartForm>(fillPath("/api/v1/console/processes/{process_id}/start-form", { process_id: processId })),
  start: (processId: string, body: Schemas["InstanceCreate"]) =>
    post<Schemas["InstanceStarted"]>(fillPath("/api/v1/processes/{process_id}/instances", { process_id: processId }), body),
  instances: (query: { process_id?: string; status?: string; mine?: boolean; limit?: number }) =>
    json<Schemas["InstancesPublic"]>(withQuery(fillPath("/api/v1/instances"), query)),
  instance: (id: string) => json<Instance>(fillPath("/api/v1/instances/{instance_id}", { instance_id: id })),
  tasks: (query: TasksQuery) =>
    json<Schemas["TasksPublic"]>(withQuery(fillPath("/api/v1/tasks"), query)),
  decide: (instanceId: string, taskId: string, body: DecisionCreate) =>
    post<Schemas["DecisionPublic"]>(
      fillPath("/api/v1/instances/{instance_id}/tasks/{task_id}/decision", { instance_id: instanceId, task_id: taskId }),
      body,
      { "Idempotency-Key": crypto.randomUUID() },
    ),
  instanceAction: (instanceId: string, action: "withdraw" | "cancel" | "urge", comment?: string) => {
    const path = ({ withdraw: "/api/v1/instances/{instance_id}/withdraw", cancel: "/api/v1/instances/{instance_id}/cancel", urge: "/api/v1/instances/{instance_id}/urge" } as const)[action];
    return post<Schemas["InstanceActionPublic"]>(fillPath(path, { instance_id: instanceId }), { comment: comment || null }, { "Idempotency-Key": crypto.randomUUID() });
  },
  incidents: (processId?: string) => json<Schemas["IncidentsPublic"]>(withQuery(fillPath("/api/v1/incidents"), { process_id: processId, limit: 1000 })),
  incidentAction: (instanceId: string, incidentId: string, action: "retry" | "resolve", comment?: string) =>
    post<Schemas["IncidentActionPublic"]>(
      fillPath("/api/v1/instances/{instance_id}/incidents/{incident_id}/{action}", { instance_id: instanceId, incident_id: incidentId, action }),
      { comment: comment || null },
      { "Idempotency-Key": crypto.randomUUID() },
    ),
  upload: async (file: File) => {
    const body = new FormData();
    body.append("file", file, file.name);
    return json<DocumentRef>(withQuery(fillPath("/api/v1/documents"), { name: file.name }), { method: "POST", body });
  },
  document: async (documentId: string) =>
    (await request(fillPath("/api/v1/documents/{document_id}", { document_id: documentId }))).blob(),
};

/** A Camunda Form (`.form`) is JSON; BPMN and DMN files are XML. */
export function deployContentType(text: string): string {
  return text.replace(/^\uFEFF/, "").trimStart().startsWith("{") ? "application/json" : "application/xml";
}
