"""Tracing (OpenTelemetry) for the API and the worker: one trace from an HTTP request through the
Temporal update it sends to the activities the update starts (docs/observability.md).

Off unless an OTLP endpoint is configured: then no span is made and no interceptor is installed,
so an untraced deployment pays nothing.
"""

from __future__ import annotations

import os
from functools import lru_cache

from fastapi import FastAPI
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from temporalio.client import Interceptor
from temporalio.contrib.opentelemetry import TracingInterceptor

from shenpi.settings import Settings

TRACER_NAME = "shenpi"
# Probes and scrapes: frequent, and a trace of them tells nothing.
_UNTRACED = tuple(
    f"{prefix}/{name}" for prefix in ("", "/api/v1") for name in ("metrics", "healthz", "readyz")
)


def otlp_endpoint(settings: Settings) -> str | None:
    """Where traces go: SHENPI_OTLP_ENDPOINT, else the standard OTLP variables, else nowhere."""
    return (
        settings.otlp_endpoint
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or None
    )


def tracer_provider(settings: Settings, service: str) -> TracerProvider | None:
    """The process's tracer provider exporting over OTLP/HTTP, or None when tracing is off."""
    endpoint = otlp_endpoint(settings)
    if endpoint is None:
        return None
    return _otlp_provider(endpoint if settings.otlp_endpoint else None, service)


@lru_cache(maxsize=4)
def _otlp_provider(endpoint: str | None, service: str) -> TracerProvider:
    # Imported here: the exporter pulls in protobuf code that untraced processes never need.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    # The exporter reads the OTEL_* variables itself; our own setting is a base URL like theirs.
    exporter = OTLPSpanExporter(
        endpoint=f"{endpoint.rstrip('/')}/v1/traces" if endpoint is not None else None
    )
    provider = TracerProvider(
        resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service)})
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    # Not made the global provider: the API's and the worker's spans come from the interceptor
    # and the FastAPI instrumentation, which are handed this one; nothing else traces.
    return provider


def temporal_interceptors(provider: TracerProvider | None) -> list[Interceptor]:
    """The Temporal client's interceptors; its workers take them over (workflow, activity)."""
    if provider is None:
        return []
    return [TracingInterceptor(provider.get_tracer(TRACER_NAME))]


def instrument_api(app: FastAPI, provider: TracerProvider | None) -> None:
    """A server span per HTTP request, the parent of the Temporal calls the route makes."""
    if provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, excluded_urls=",".join(_UNTRACED)
    )
