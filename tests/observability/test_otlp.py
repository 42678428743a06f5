"""Tracing is off unless an OTLP endpoint is set; set, spans reach it over OTLP/HTTP (a real
local HTTP server stands in for the collector)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shenpi.settings import Settings
from shenpi.telemetry import temporal_interceptors, tracer_provider


@pytest.fixture
def collector() -> Iterator[tuple[str, list[tuple[str, str, int]]]]:
    """An HTTP server that records each request: path, content type, body size."""
    received: list[tuple[str, str, int]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.append((self.path, self.headers.get("Content-Type", ""), len(body)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def test_no_endpoint_no_tracing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    provider = tracer_provider(Settings(env="test"), "shenpi-api")
    assert provider is None
    assert temporal_interceptors(provider) == []


def test_spans_go_to_the_configured_endpoint(
    collector: tuple[str, list[tuple[str, str, int]]],
) -> None:
    url, received = collector
    provider = tracer_provider(Settings(env="test", otlp_endpoint=url), "shenpi-test")
    assert provider is not None
    assert len(temporal_interceptors(provider)) == 1
    with provider.get_tracer("test").start_as_current_span("decision"):
        pass
    assert provider.force_flush(timeout_millis=10_000)
    assert [(path, kind) for path, kind, _ in received] == [
        ("/v1/traces", "application/x-protobuf")
    ]
    assert received[0][2] > 0
