"""A Temporal dev server of this package's own (the tests kill it), the API and `shenpi worker`.

The API runs in this process over real HTTP, with a Temporal client that outlives dev server
restarts; the worker is a child process, so a test can kill -9 it. Nothing is mocked.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from api.main import create_app
from tests.api.conftest import JWT_SECRET, Stack, api_settings, run_api
from tests.faults.cluster import DevServer, WorkerProcess
from tests.faults.receiver import Receiver


@pytest_asyncio.fixture(scope="package")
async def dev_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DevServer]:
    server = DevServer(tmp_path_factory.mktemp("temporal"))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@dataclass
class Crashable:
    """The stack a test may crash: the API (``stack``), the worker process and the dev server."""

    stack: Stack
    worker: WorkerProcess
    server: DevServer
    receiver: Receiver


@asynccontextmanager
async def crashable(
    server: DevServer, directory: Path, receiver: Receiver, **settings: Any
) -> AsyncIterator[Crashable]:
    values: dict[str, Any] = {
        "temporal_address": server.address,
        "task_queue": f"faults-{uuid.uuid4().hex[:8]}",
        "notify_webhook_url": receiver.webhook_url,
        "ocr_processes": 0,
        **settings,
    }
    api = api_settings(directory, **values)
    env = {
        "SHENPI_ENV": "test",
        "SHENPI_DATA_DIR": str(api.data_dir),
        "SHENPI_JWT_SECRET": JWT_SECRET,
        **{f"SHENPI_{name.upper()}": str(value) for name, value in values.items()},
    }
    worker = WorkerProcess(directory, env)
    async with AsyncExitStack() as exits:
        worker.start()
        exits.push_async_callback(worker.stop)
        client = await server.connect()
        app = create_app(api, temporal_client=client)
        base_url = await exits.enter_async_context(run_api(app))
        yield Crashable(Stack(base_url, api, client, app), worker, server, receiver)
