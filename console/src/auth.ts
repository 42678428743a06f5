// The bearer token lives in sessionStorage only: it arrives in the URL fragment (`#token=`, never
// sent to a server), is stored, and the fragment is removed from the address bar at once.
const KEY = "shenpi.token";

export interface Claims {
  sub: string;
  groups: string[];
  exp: number;
}

export function takeTokenFromFragment(loc: Location = window.location, storage: Storage = sessionStorage): boolean {
  const params = new URLSearchParams(loc.hash.replace(/^#/, ""));
  const token = params.get("token");
  if (!token) return false;
  storage.setItem(KEY, token);
  history.replaceState(null, "", loc.pathname + loc.search);
  return true;
}

export function getToken(storage: Storage | undefined = globalThis.sessionStorage): string | null {
  return storage?.getItem(KEY) ?? null;
}

export function setToken(token: string | null, storage: Storage = sessionStorage): void {
  if (token) storage.setItem(KEY, token);
  else storage.removeItem(KEY);
}

/** The token's claims, or null when it is missing, malformed or expired (the API checks it anyway). */
export function decodeClaims(token: string | null, nowSeconds = Date.now() / 1000): Claims | null {
  if (!token) return null;
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const text = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    const raw = JSON.parse(decodeURIComponent(escape(text))) as Partial<Claims>;
    if (typeof raw.sub !== "string" || typeof raw.exp !== "number" || raw.exp <= nowSeconds) return null;
    return { sub: raw.sub, groups: Array.isArray(raw.groups) ? raw.groups.filter((g) => typeof g === "string") : [], exp: raw.exp };
  } catch {
    return null;
  }
}
