"""Prometheus metrics of one app: HTTP traffic by route template, and domain counters.

Each app owns its ``CollectorRegistry`` (no process globals), so tests can build many apps.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shenpi_core.contracts import DecisionResult

# Approvals wait minutes to weeks: buckets from a minute to a month.
_WAIT_BUCKETS = (60, 300, 900, 3600, 4 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400)


class ApiMetrics:
    """The collectors of one app, registered on its own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.http_requests = Counter(
            "shenpi_http_requests", "HTTP requests", ["method", "route", "status"], registry=r
        )
        self.http_latency = Histogram(
            "shenpi_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=r,
        )
        self.instances_started = Counter(
            "shenpi_instances_started", "Instances started via the API", ["process_id"], registry=r
        )
        self.decisions = Counter("shenpi_decisions", "Decisions accepted", ["action"], registry=r)
        self.task_wait = Histogram(
            "shenpi_task_wait_seconds",
            "Time from a task's creation to the decision that closed it",
            buckets=_WAIT_BUCKETS,
            registry=r,
        )

        # Read from Temporal's visibility at each scrape (api/instance_gauges.py): the whole
        # namespace's open instances, the same number from every API replica.
        self.instances_open = Gauge(
            "shenpi_instances_open",
            "Open instances, by status (running, or incident: waiting for an admin)",
            ["status"],
            registry=r,
        )
        self.instances_stuck = Gauge(
            "shenpi_instances_stuck",
            "Open instances started longer ago than SHENPI_STUCK_INSTANCE_HOURS",
            registry=r,
        )

    def observe_decision(self, action: str, result: DecisionResult) -> None:
        self.decisions.labels(action).inc()
        task = result.task
        if task.status != "open":
            closed_at = task.completed_at or datetime.now(UTC)
            self.task_wait.observe(max(0.0, (closed_at - task.created_at).total_seconds()))


class MetricsMiddleware:
    """Counts and times every HTTP request, labelled by route template (bounded cardinality)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app dies before starting a response

        async def send_and_record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record_status)
        finally:
            route = route_template(scope)
            method = scope["method"]
            self.metrics.http_requests.labels(method, route, str(status)).inc()
            self.metrics.http_latency.labels(method, route).observe(time.perf_counter() - started)


def route_template(scope: Scope) -> str:
    """The matched route's path template with its router prefixes, e.g. /api/v1/tasks.

    FastAPI keeps the route as declared (without include prefixes) in ``scope["route"]``; the
    full template is on its effective route context. Unmatched paths share one label so that
    scanners cannot blow up the number of series.
    """
    fastapi_scope = scope.get("fastapi")
    context = (
        fastapi_scope.get("effective_route_context") if isinstance(fastapi_scope, dict) else None
    )
    path = getattr(context, "path", None) or getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else "unmatched"
