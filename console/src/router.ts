// State in the URL, so every view is a link: /ui/<page>/<ids>?<filters>.
import { useSyncExternalStore } from "react";

export const BASE = "/ui/";

export interface Route {
  segments: string[];
  query: URLSearchParams;
}

export function parseRoute(pathname: string, search: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname.replace(/^\/+/, "");
  return { segments: rest.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(search) };
}

export function href(path: string, query: Record<string, string | number | undefined> = {}): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") search.set(k, String(v));
  const text = search.toString();
  return BASE + path.replace(/^\//, "") + (text ? `?${text}` : "");
}

export function instancePath(instanceId: string, taskId?: string): string {
  const base = `instances/${encodeURIComponent(instanceId)}`;
  return taskId ? `${base}/tasks/${encodeURIComponent(taskId)}` : base;
}

const listeners = new Set<() => void>();
function subscribe(cb: () => void): () => void {
  listeners.add(cb);
  window.addEventListener("popstate", cb);
  return () => {
    listeners.delete(cb);
    window.removeEventListener("popstate", cb);
  };
}

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  listeners.forEach((cb) => cb());
  window.scrollTo?.(0, 0);
}

export function useLocationKey(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname + window.location.search);
}

export function useRoute(): Route {
  useLocationKey();
  return parseRoute(window.location.pathname, window.location.search);
}
