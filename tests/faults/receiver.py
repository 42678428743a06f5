"""The outside world of a crash test: a webhook receiver and a service the ``http`` task calls.

A real HTTP server on a local socket (a thread of this process) that records every request as it
arrives, so a delivery counts even when the worker that sent it is killed before the answer. It
can hold the first request of each hold key (``hold(body)``, None: not held) until
:meth:`Receiver.release`, which pins a notification in flight while a test kills its worker.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# As a receiver reads them, from docs/notifications.md (not imported: the docs are the contract).
EVENT_ID_HEADER = "X-Shenpi-Event-Id"
IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Arrival:
    path: str
    key: str | None  # X-Shenpi-Event-Id (webhook) or Idempotency-Key (http task)
    body: dict[str, Any]


@dataclass
class Receiver:
    url: str = ""
    delay: float = 0.0  # seconds before each answer: keeps calls in flight at a kill
    hold: Callable[[dict[str, Any]], str | None] = lambda body: None
    arrivals: list[Arrival] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _released: threading.Event = field(default_factory=threading.Event)
    _held_keys: set[str] = field(default_factory=set)

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/hook"

    @property
    def effect_url(self) -> str:
        return f"{self.url}/effect"

    def release(self) -> None:
        self._released.set()

    def held(self) -> int:
        with self._lock:
            return len(self._held_keys)

    def webhooks(self) -> list[Arrival]:
        with self._lock:
            return [a for a in self.arrivals if a.path == "/hook"]

    def effects(self) -> list[Arrival]:
        with self._lock:
            return [a for a in self.arrivals if a.path == "/effect"]

    def deliveries_by_key(self, path: str) -> Counter[str | None]:
        with self._lock:
            return Counter(a.key for a in self.arrivals if a.path == path)

    def _arrive(self, arrival: Arrival) -> bool:
        """Record it; True when this request is to be held until ``release``."""
        hold_key = self.hold(arrival.body)
        with self._lock:
            self.arrivals.append(arrival)
            if hold_key is None or hold_key in self._held_keys or self._released.is_set():
                return False
            self._held_keys.add(hold_key)
            return True


@contextmanager
def receiver(**options: Any) -> Iterator[Receiver]:
    state = Receiver(**options)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            key = self.headers.get(EVENT_ID_HEADER) or self.headers.get(IDEMPOTENCY_HEADER)
            if state._arrive(Arrival(self.path, key, body)):
                state._released.wait(timeout=120)
            elif state.delay:
                time.sleep(state.delay)
            payload = json.dumps({"effect": "done"} if self.path == "/effect" else {}).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the sender was killed while we held its request: it was delivered anyway

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release()
        server.shutdown()
        server.server_close()
