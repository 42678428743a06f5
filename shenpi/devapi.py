"""The API served by uvicorn inside another asyncio program (`shenpi dev`).

uvicorn normally owns SIGINT/SIGTERM and exits the process on a failed startup; embedded, the dev
stack owns the signals (it must stop the API *before* draining the worker) and wants failures as
exceptions it can report.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI


class ApiStartError(RuntimeError):
    """uvicorn could not start the API (port taken, lifespan failed)."""


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The caller installed its own handlers; keep them.
        yield


class ApiServer:
    def __init__(self, app: FastAPI, *, host: str, port: int) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            lifespan="on",
            log_config=None,  # use the program's logging set-up (file + console)
            timeout_graceful_shutdown=5,
        )
        self._server = _EmbeddedServer(config)

    @property
    def started(self) -> bool:
        return self._server.started

    async def serve(self) -> None:
        try:
            await self._server.serve()
        except SystemExit as err:
            # uvicorn calls sys.exit() when the port is taken or the lifespan fails; a SystemExit
            # escaping a task would tear down the event loop without our orderly shutdown.
            raise ApiStartError(f"the API failed to start (uvicorn exit {err.code})") from None

    async def wait_started(self, task: asyncio.Task[None], limit_seconds: float = 60.0) -> None:
        """Return once the API accepts connections; raise if its task ends first."""
        deadline = asyncio.get_running_loop().time() + limit_seconds
        while not self._server.started:
            if task.done():
                task.result()  # re-raises the startup error
                raise ApiStartError("the API stopped during startup")
            if asyncio.get_running_loop().time() > deadline:
                raise ApiStartError(f"the API did not start within {limit_seconds}s")
            await asyncio.sleep(0.05)

    async def stop(self, task: asyncio.Task[None]) -> None:
        """Stop accepting requests, let in-flight ones finish, then return."""
        self._server.should_exit = True
        await asyncio.wait({task})
