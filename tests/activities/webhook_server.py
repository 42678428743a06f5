"""A real HTTP server on a local socket that records requests and answers scripted statuses."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookServer:
    url: str
    statuses: list[int]  # answered in order; the last one repeats
    reply: dict[str, Any] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)


@contextmanager
def webhook_server(
    statuses: list[int], reply: dict[str, Any] | None = None
) -> Iterator[WebhookServer]:
    state = WebhookServer(url="", statuses=list(statuses), reply=reply or {})
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with lock:
                state.received.append(
                    Received(self.command, self.path, dict(self.headers.items()), body)
                )
                status = state.statuses.pop(0) if len(state.statuses) > 1 else state.statuses[0]
            payload = json.dumps(state.reply if status < 400 else {"error": status}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_POST = do_GET = do_PUT = _answer

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
