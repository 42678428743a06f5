// OpenID Connect sign-in for the console: authorization code with PKCE (RFC 7636), as a public
// client. The verifier and state live in sessionStorage between the redirect and the return.
export interface OidcSettings {
  issuer: string;
  client_id: string;
  scopes: string;
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
}

const PENDING = "shenpi.oidc";

export function base64url(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function randomString(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function pkceChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

export function redirectUri(origin: string): string {
  return `${origin}/ui/`;
}

async function discover(issuer: string): Promise<Discovery> {
  const res = await fetch(`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`OpenID discovery failed: ${res.status}`);
  return (await res.json()) as Discovery;
}

/** Leave for the identity provider; it sends the browser back to /ui/?code=…&state=…. */
export async function startSignIn(settings: OidcSettings, returnTo: string): Promise<void> {
  const discovery = await discover(settings.issuer);
  const verifier = randomString(48);
  const state = randomString(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, returnTo }));
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: settings.client_id,
    redirect_uri: redirectUri(location.origin),
    scope: settings.scopes,
    state,
    code_challenge: await pkceChallenge(verifier),
    code_challenge_method: "S256",
  }).toString();
  location.assign(url.toString());
}

/** Back from the provider: trade the code (and our verifier) for an ID token. */
export async function finishSignIn(settings: OidcSettings, query: URLSearchParams): Promise<{ token: string; returnTo: string } | null> {
  const code = query.get("code");
  const raw = sessionStorage.getItem(PENDING);
  if (!code || !raw) return null;
  sessionStorage.removeItem(PENDING);
  const pending = JSON.parse(raw) as { verifier: string; state: string; returnTo: string };
  if (query.get("state") !== pending.state) throw new Error("sign-in answer with a wrong state: start again");
  const discovery = await discover(settings.issuer);
  const res = await fetch(discovery.token_endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: redirectUri(location.origin),
      client_id: settings.client_id,
      code_verifier: pending.verifier,
    }),
  });
  if (!res.ok) throw new Error(`the identity provider refused the sign-in (${res.status})`);
  const body = (await res.json()) as { id_token?: string };
  if (!body.id_token) throw new Error("the identity provider sent no ID token");
  return { token: body.id_token, returnTo: pending.returnTo };
}
