"""The stack the observability tests watch: a Temporal client of its own (with the runtime or the
interceptors under test), a worker on it, and the API served by uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from shenpi.settings import Settings
from tests.api.conftest import Stack, run_api
from worker import build_worker


async def own_client(temporal_env: WorkflowEnvironment, **options: Any) -> Client:
    """A client of the session's dev server with ``options`` (``runtime``, ``interceptors``):
    the shared client has neither, and what it would record is what these tests look at."""
    return await Client.connect(
        temporal_env.client.service_client.config.target_host,
        namespace=temporal_env.client.namespace,
        data_converter=pydantic_data_converter,
        **options,
    )


@asynccontextmanager
async def worker_and_api(
    client: Client,
    settings: Settings,
    app: FastAPI,
    activities: Sequence[Callable[..., Any]] = (),
) -> AsyncIterator[Stack]:
    """Shenpi's worker on ``client`` (with ``activities`` besides its own) and ``app`` served."""
    worker = build_worker(
        client, task_queue=settings.task_queue, settings=settings, extra_activities=activities
    )
    async with worker, run_api(app) as url:
        yield Stack(url, settings, client, app)
