"""The real stack for API tests: uvicorn on a free port, a worker, the dev server, SQLite.

Everything runs in this process's event loop and talks over real sockets; nothing is mocked.
Reuse ``run_api`` / ``run_worker`` / ``Stack`` to drive the API from other suites (the bench).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from fastapi import FastAPI
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from shenpi.auth_tokens import mint_token
from shenpi.settings import Settings
from tests.helpers import serve_asgi

JWT_SECRET = "api-tests-secret-long-enough-for-hs256-signatures"


@asynccontextmanager
async def run_api(app: FastAPI) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on a free localhost port; yields the base URL."""
    async with serve_asgi(app) as url:
        yield url


@asynccontextmanager
async def run_worker(client: Client, settings: Settings) -> AsyncIterator[None]:
    """The Shenpi worker (interpreter + activities) polling ``settings.task_queue``."""
    from worker import build_worker

    async with build_worker(client, task_queue=settings.task_queue, settings=settings):
        yield


@dataclass
class Stack:
    base_url: str
    settings: Settings
    temporal: Client
    app: FastAPI

    def token(self, sub: str, groups: Sequence[str] = ()) -> str:
        return mint_token(sub, list(groups), secret=JWT_SECRET)

    def http(self, sub: str | None = None, groups: Sequence[str] = ()) -> httpx.AsyncClient:
        """An HTTP client for the API, signed in as ``sub`` (anonymous when None)."""
        headers = {"Authorization": f"Bearer {self.token(sub, groups)}"} if sub else {}
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=30)

    async def history_length(self, instance_id: str) -> int:
        history = await self.temporal.get_workflow_handle(instance_id).fetch_history()
        return len(history.events)

    async def closed_history_length(self, instance_id: str) -> int:
        """The history's length once the run has closed.

        An instance reads as ended before its run closes: it still archives itself.
        """
        handle = self.temporal.get_workflow_handle(instance_id)
        await handle.result()
        return len((await handle.fetch_history()).events)


def api_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "data_dir": tmp_path / "shenpi",
        "jwt_secret": JWT_SECRET,
        "task_queue": f"api-{uuid.uuid4()}",  # a fresh queue: no other test's worker steals work
        "update_timeout_seconds": 10.0,
        **overrides,
    }
    return Settings(**values)


@asynccontextmanager
async def running_stack(
    temporal_env: WorkflowEnvironment, settings: Settings, *, worker: bool = True
) -> AsyncIterator[Stack]:
    async with AsyncExitStack() as stack:
        app = create_app(settings, temporal_client=temporal_env.client)
        if worker:
            await stack.enter_async_context(run_worker(temporal_env.client, settings))
        base_url = await stack.enter_async_context(run_api(app))
        yield Stack(base_url, settings, temporal_env.client, app)


@pytest_asyncio.fixture
async def stack(temporal_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Stack]:
    """API + worker on a fresh task queue against the session's dev server; SQLite in tmp_path."""
    async with running_stack(temporal_env, api_settings(tmp_path)) as s:
        yield s


@pytest_asyncio.fixture
async def api_only(temporal_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Stack]:
    """The API alone (no worker): for what never needs a workflow to run."""
    async with running_stack(temporal_env, api_settings(tmp_path), worker=False) as s:
        yield s


def unique(prefix: str) -> str:
    """An id no other test uses: the dev server and its visibility are shared by the session."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"
