"""A real HTTP server on 127.0.0.1 that speaks WeChat's token-and-JSON API style (shared base).

Subclasses add routes (WeChat Work in ``work_server``, the Official Account in ``mp_server``).
Faults are switched on by tests: expired tokens (42001), rate limits (45009), rejected user ids
(40003), a failing server (HTTP 500) or a closed port.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Answer = dict[str, Any]
Route = Callable[[dict[str, str], Any], Answer]


@dataclass(frozen=True)
class Call:
    """One request the server answered: path under /cgi-bin/, query, JSON body, the answer."""

    path: str
    query: dict[str, str]
    body: Any
    answer: Answer


class FakeWeChatApi:
    """Routes are ``(method, path)`` → handler; handlers run under the server's lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.calls: list[Call] = []
        self.token_requests = 0
        self.failed_requests = 0  # answered with the forced HTTP status
        self._tokens: set[str] = set()
        self._expired: set[str] = set()
        self._rate_limited = 0
        self._rate_limit_after = 0
        self._status: int | None = None  # HTTP status forced on every request (a broken server)
        self.rejected_users: set[str] = set()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self.port = 0
        self.routes: dict[tuple[str, str], Route] = {}

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The API base to configure (``.../cgi-bin/``)."""
        return f"http://127.0.0.1:{self.port}/cgi-bin/"

    def start(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Close the port: clients get "connection refused" until :meth:`start` again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- faults ----------------------------------------------------------------------------

    def expire_tokens(self) -> None:
        """Every token issued so far is answered with 42001 from now on."""
        with self.lock:
            self._expired |= self._tokens
            self._tokens.clear()

    def rate_limit(self, times: int, *, after: int = 0) -> None:
        """The next ``times`` API calls (not token fetches) answer 45009, once ``after`` passed."""
        with self.lock:
            self._rate_limited, self._rate_limit_after = times, after

    def reject_user(self, user_id: str) -> None:
        """Messages to ``user_id`` are refused as an invalid user (40003)."""
        with self.lock:
            self.rejected_users.add(user_id)

    def fail(self, status: int | None = 500) -> None:
        """Answer every request with HTTP ``status`` (None: answer normally again)."""
        with self.lock:
            self._status = status

    # --- for routes ------------------------------------------------------------------------

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    def issue_token(self) -> Answer:
        self.token_requests += 1
        token = self.next_id("token-")
        self._tokens.add(token)
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}

    def token_error(self, query: dict[str, str]) -> Answer | None:
        token = query.get("access_token", "")
        if token in self._expired:
            return {"errcode": 42001, "errmsg": "access_token expired"}
        if token not in self._tokens:
            return {"errcode": 40014, "errmsg": "invalid access_token"}
        if self._rate_limit_after > 0:
            self._rate_limit_after -= 1
        elif self._rate_limited > 0:
            self._rate_limited -= 1
            return {"errcode": 45009, "errmsg": "api freq out of limit"}
        return None

    def calls_to(self, path: str, *, ok: bool = True) -> list[Call]:
        """The calls to ``path``; only those WeChat accepted (errcode 0) unless ``ok=False``."""
        with self.lock:
            return [
                c for c in self.calls if c.path == path and (not ok or c.answer.get("errcode") == 0)
            ]

    # --- HTTP ------------------------------------------------------------------------------

    def _dispatch(self, method: str, raw_path: str, raw_body: bytes) -> tuple[int, Answer]:
        parts = urlsplit(raw_path)
        path = parts.path.removeprefix("/cgi-bin/")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self.lock:
            if self._status is not None:
                self.failed_requests += 1
                return self._status, {"error": "server error"}
            route = self.routes.get((method, path))
            if route is None:
                return 404, {"errcode": 404, "errmsg": f"no route {method} {path}"}
            body = json.loads(raw_body) if raw_body else None
            answer = route(query, body)
            self.calls.append(Call(path, query, body, answer))
            return 200, answer

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, answer = api._dispatch(self.command, self.path, body)
                payload = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                return

        return Handler
