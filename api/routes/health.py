"""Liveness, readiness and Prometheus metrics (no auth: probes and scrapers have no token)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from api import instance_gauges
from api.deps import MetricsDep, TemporalClientDep
from api.schemas import HealthPublic
from shenpi.settings import Settings

router = APIRouter(tags=["health"])

PROBE_TIMEOUT_SECONDS = 2.0


@router.get("/healthz")
async def healthz() -> HealthPublic:
    """Liveness: the process serves HTTP."""
    return HealthPublic(status="ok")


@router.get("/readyz", responses={503: {"model": HealthPublic}})
async def readyz(request: Request, response: Response, client: TemporalClientDep) -> HealthPublic:
    """Readiness: Temporal and the app database answer within a short timeout."""
    temporal, database = await asyncio.gather(
        _probe_temporal(client), _probe_database(request.app.state.engine)
    )
    checks = {"temporal": temporal, "database": database}
    ready = all(v == "ok" for v in checks.values())
    response.status_code = 200 if ready else 503
    return HealthPublic(status="ok" if ready else "unavailable", checks=checks)


@router.get("/metrics", response_class=Response)
async def metrics(request: Request, metrics: MetricsDep, client: TemporalClientDep) -> Response:
    """Prometheus text format: HTTP metrics and domain counters of this API process, and the
    open-instance gauges of the whole namespace."""
    settings: Settings = request.app.state.settings
    await instance_gauges.refresh(metrics, client, timedelta(hours=settings.stuck_instance_hours))
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


async def _probe_temporal(client: Client) -> str:
    # A probe reports failure as data; it must not raise into the error mapping.
    try:
        healthy = await client.service_client.check_health(
            timeout=timedelta(seconds=PROBE_TIMEOUT_SECONDS)
        )
    except Exception as e:
        return f"unreachable: {e}"
    return "ok" if healthy else "not serving"


async def _probe_database(engine: AsyncEngine) -> str:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as e:
        return f"unreachable: {e}"
    return "ok"
