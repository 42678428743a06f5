"""A small OpenID Connect provider on 127.0.0.1 for the console's sign-in tests.

It signs in one configured user without asking (``provider.user``), issues RS256 ID tokens whose
keys it publishes (JWKS), and checks what a real provider checks: the client, the redirect URI, and
that the token request's PKCE verifier matches the authorize request's S256 challenge. It also
plays WeChat's authorize page (网页授权): ``/wechat/authorize`` sends the browser back with
``provider.wechat_code``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "shenpi-console"
KEY_ID = "test-key-1"


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str


@dataclass
class IdentityProvider:
    user: str = "grace"
    groups: list[str] = field(default_factory=lambda: ["legal"])
    wechat_code: str = ""
    port: int = 0
    grants: dict[str, Grant] = field(default_factory=dict)
    tokens_issued: int = 0
    refusals: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._server: ThreadingHTTPServer | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/jwks"

    def start(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # --- endpoints ---------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": self.jwks_url,
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        return {"keys": [public | {"kid": KEY_ID, "use": "sig", "alg": "RS256"}]}

    def authorize(self, q: dict[str, str]) -> str:
        """Where the browser goes next: back to the client with a code, or an error."""
        if q.get("client_id") != CLIENT_ID or q.get("code_challenge_method") != "S256":
            self.refusals.append("authorize: client or challenge method")
            return f"{q.get('redirect_uri', '/')}?error=invalid_request"
        code = secrets.token_urlsafe(16)
        self.grants[code] = Grant(CLIENT_ID, q["redirect_uri"], q["code_challenge"])
        return f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q.get('state', '')})}"

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        grant = self.grants.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if (
            grant is None
            or form.get("grant_type") != "authorization_code"
            or form.get("client_id") != grant.client_id
            or form.get("redirect_uri") != grant.redirect_uri
            or challenge != grant.challenge
        ):
            self.refusals.append(f"token: {form}")
            return 400, {"error": "invalid_grant"}
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "aud": CLIENT_ID, "sub": self.user}
        claims |= {"groups": self.groups}
        claims |= {"iat": now, "exp": now + 600}
        id_token = jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": KEY_ID})
        self.tokens_issued += 1
        return 200, {"id_token": id_token, "access_token": "opaque", "token_type": "Bearer"}

    def wechat_authorize(self, q: dict[str, str]) -> str:
        return f"{q['redirect_uri']}?{urlencode({'code': self.wechat_code, 'state': q['state']})}"

    # --- HTTP --------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, body: dict[str, Any], location: str = "") -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Access-Control-Allow-Origin", "*")  # a browser app calls us
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                if location:
                    self.send_header("Location", location)
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                q = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if parts.path == "/.well-known/openid-configuration":
                    self._send(200, provider.discovery())
                elif parts.path == "/jwks":
                    self._send(200, provider.jwks())
                elif parts.path == "/authorize":
                    self._send(302, {}, provider.authorize(q))
                elif parts.path == "/wechat/authorize":
                    self._send(302, {}, provider.wechat_authorize(q))
                else:
                    self._send(404, {"error": "not_found"})

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                if urlsplit(self.path).path == "/token":
                    self._send(*provider.token(form))
                else:
                    self._send(404, {"error": "not_found"})

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


@contextmanager
def identity_provider() -> Iterator[IdentityProvider]:
    provider = IdentityProvider()
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()
