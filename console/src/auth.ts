// The bearer token lives in sessionStorage only: it arrives in the URL fragment (`#token=`, never
// sent to a server), is stored, and the fragment is removed from the address bar at once.
const KEY = "shenpi.token";

export interface Claims {
  sub: string;
  groups: string[];
  exp: number;
}

const WECHAT_PENDING = "shenpi.wechat";
const DEV_PENDING = "shenpi.dev-token";
let signInError: string | null = null;

/** Why the last sign-in through a redirect failed (shown on the sign-in page), if it did. */
export function lastSignInError(): string | null {
  return signInError;
}

/**
 * Take `#token=` (the dev banner's link; WeChat sign-in, which adds the `state` we sent) or
 * `#error=` off the URL. A WeChat answer whose state is not the one this tab sent is refused.
 */
export function takeTokenFromFragment(loc: Location = window.location, storage: Storage = sessionStorage): boolean {
  const params = new URLSearchParams(loc.hash.replace(/^#/, ""));
  const token = params.get("token");
  const error = params.get("error");
  if (!token && !error) return false;
  let path = loc.pathname + loc.search;
  const state = params.get("state");
  if (state) {
    const pending = JSON.parse(storage.getItem(WECHAT_PENDING) ?? "null") as { state: string; returnTo: string } | null;
    storage.removeItem(WECHAT_PENDING);
    if (!pending || pending.state !== state) {
      signInError = "state_mismatch";
      history.replaceState(null, "", path);
      return false;
    }
    path = pending.returnTo;
  }
  history.replaceState(null, "", path);
  if (error || !token) {
    signInError = error;
    return false;
  }
  if (!state) {
    // A bare `#token=` is the dev banner's link: it is used only once the server says it runs
    // `shenpi dev`, so a crafted link cannot sign someone into another account elsewhere.
    storage.setItem(DEV_PENDING, token);
    return false;
  }
  storage.setItem(KEY, token);
  return true;
}

/** The token of a dev banner link, waiting for the server to confirm dev sign-in (taken once). */
export function takePendingDevToken(storage: Storage = sessionStorage): string | null {
  const token = storage.getItem(DEV_PENDING);
  storage.removeItem(DEV_PENDING);
  return token;
}

export function inWeChatWork(userAgent: string): boolean {
  return /wxwork/i.test(userAgent);
}

export function inWeChat(userAgent: string): boolean {
  return /MicroMessenger/i.test(userAgent) && !inWeChatWork(userAgent);
}

/** Off to WeChat's authorize page; WeChat comes back through the API with a token. */
export function startWeChatSignIn(authorizeUrl: string, returnTo: string, storage: Storage = sessionStorage): string {
  // WeChat allows only [a-zA-Z0-9] in state: hex of random bytes.
  const state = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
  storage.setItem(WECHAT_PENDING, JSON.stringify({ state, returnTo }));
  return `${authorizeUrl}&state=${state}#wechat_redirect`;
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
