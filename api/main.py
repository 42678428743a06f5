"""The HTTP API application: ``create_app()`` wires settings, Temporal, the database and routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from temporalio.client import Client

from api import console_oauth
from api.codec_cors import CodecCorsMiddleware
from api.console_static import install_console
from api.docs_pages import install_docs
from api.errors import install_error_handlers
from api.log_context import RequestIdsMiddleware
from api.metrics import ApiMetrics, MetricsMiddleware
from api.routes import (
    actions,
    ai_callbacks,
    ai_eval,
    codec,
    console,
    decisions,
    definitions,
    documents,
    forms,
    health,
    incidents,
    instances,
    messages,
    priority,
    tasks,
    wechat_bindings,
)
from api.schemas import ErrorBody
from api.uploads import BodyLimitMiddleware
from api.wechat import routes as wechat_routes
from shenpi.db.engine import create_engine, create_sessionmaker
from shenpi.db.migrate import upgrade
from shenpi.payload_codec import EncryptionCodec, data_converter
from shenpi.settings import Settings, get_settings
from shenpi.telemetry import instrument_api, temporal_interceptors, tracer_provider
from shenpi.temporal_connection import connection_options
from shenpi_core.plan_models import build_plan_models

API_PREFIX = "/api/v1"
# Variables travel inside workflow inputs and updates, which Temporal caps at a few MB per payload.
JSON_BODY_LIMIT_BYTES = 1024 * 1024
log = logging.getLogger(__name__)

# Every error status a route can answer, in the one error shape (docs/api.md): 400 malformed,
# 401 no or bad token, 403 not allowed, 404 not found, 409 conflict, 413 too large, 422 a value
# over a documented limit or a refused compile, 429 rate-limited, 503 Temporal or a worker did
# not answer in time; 500 only for a bug (logged), never for bad input.
ERROR_STATUSES = (400, 401, 403, 404, 409, 413, 422, 429, 500, 503)
_ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody} for code in ERROR_STATUSES
}


async def connect_temporal(settings: Settings) -> Client:
    """A client encrypting payloads; lazy, so the API starts even while Temporal is down."""
    return await Client.connect(
        settings.resolved_temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        lazy=True,
        interceptors=temporal_interceptors(tracer_provider(settings, "shenpi-api")),
        **connection_options(settings),
    )


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    # Idempotent, and serialised across replicas on PostgreSQL (see migrations/env.py).
    await upgrade(settings)
    engine = create_engine(settings.resolved_database_url)
    app.state.engine = engine
    app.state.sessions = create_sessionmaker(engine, settings.payload_key_ring())
    if app.state.temporal_client is None:
        app.state.temporal_client = await connect_temporal(settings)
    log.info(
        "API ready: Temporal %s, task queue %s",
        settings.resolved_temporal_address,
        settings.task_queue,
    )
    try:
        yield
    finally:
        await engine.dispose()


def create_app(
    settings: Settings | None = None, *, temporal_client: Client | None = None
) -> FastAPI:
    """The FastAPI app. Pass ``temporal_client`` to share one (tests, `shenpi dev`)."""
    settings = settings or get_settings()
    build_plan_models()  # before the first request, not during it (shenpi_core/plan_models.py)
    app = FastAPI(
        title="Shenpi",
        summary="Approval processes drawn in BPMN 2.0, run as durable Temporal workflows",
        version="1",
        lifespan=_lifespan,
        docs_url=None,  # served from installed assets instead (api/docs_pages.py)
        redoc_url=None,
    )
    install_docs(app)
    app.state.settings = settings
    app.state.temporal_client = temporal_client
    app.state.metrics = ApiMetrics()
    ring = settings.payload_key_ring()
    app.state.payload_codec = EncryptionCodec(ring) if ring is not None else None
    # BPMN files and documents are bounded by their own settings (their routes read them).
    app.add_middleware(
        BodyLimitMiddleware,
        limit=JSON_BODY_LIMIT_BYTES,
        exempt=[f"{API_PREFIX}/definitions", f"{API_PREFIX}/documents"],
    )
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(CodecCorsMiddleware, origins=settings.resolved_codec_cors_origins)
    app.add_middleware(RequestIdsMiddleware)  # instance and task ids on the request's log lines
    install_error_handlers(app)

    v1 = APIRouter(prefix=API_PREFIX, responses=_ERRORS)
    for module in (
        definitions,
        decisions,
        forms,
        instances,
        actions,
        priority,
        tasks,
        incidents,
        documents,
        health,
        wechat_bindings,
        messages,
    ):
        v1.include_router(module.router)
    v1.include_router(console.router)
    v1.include_router(ai_eval.router)
    app.include_router(v1)
    # Provider callbacks are authenticated by a signed URL, not a user's token: outside /api/v1.
    app.include_router(ai_callbacks.router, responses=_ERRORS)
    app.include_router(codec.router, responses=_ERRORS)  # the Temporal UI's codec server
    app.include_router(wechat_routes.router, responses=_ERRORS)  # signed by WeChat (docs/wechat.md)
    # Console sign-in inside WeChat (docs/console.md)
    app.include_router(console_oauth.router, responses=_ERRORS)
    # Probes and scrapers conventionally look at the root; same handlers, not in the schema twice.
    app.include_router(health.router, include_in_schema=False)
    install_console(app, settings.resolved_console_dist_dir)  # the web console at /ui/
    instrument_api(app, tracer_provider(settings, "shenpi-api"))  # no-op unless tracing is on
    return app
