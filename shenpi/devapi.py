"""The API served by uvicorn under our control (`shenpi dev`, `shenpi api`).

uvicorn normally owns SIGINT/SIGTERM and exits the process on a failed startup; embedded, the dev
stack owns the signals (it must stop the API *before* draining the worker) and wants failures as
exceptions it can report.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
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
    def __init__(self, app: FastAPI, *, host: str, port: int, own_logging: bool = False) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            lifespan="on",
            # Embedded, the program's logging set-up (file + console) applies; standalone
            # (`own_logging`), uvicorn's usual console logging does.
            log_config=uvicorn.config.LOGGING_CONFIG if own_logging else None,
            timeout_graceful_shutdown=5,
        )
        self._server = _EmbeddedServer(config)

    def request_stop(self) -> None:
        """Begin a graceful stop (safe from a signal handler); ``serve`` returns when done."""
        self._server.should_exit = True

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
        self.request_stop()
        await asyncio.wait({task})


async def serve_until_signalled(
    app: FastAPI, *, host: str, port: int, own_logging: bool = True
) -> None:
    """`shenpi api`: serve until SIGINT/SIGTERM, then drain and return (exit status 0).

    Plain ``uvicorn.run`` re-raises the signal after its graceful shutdown, so the process would
    end "killed by SIGTERM" even though nothing was lost.
    """
    api = ApiServer(app, host=host, port=port, own_logging=own_logging)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, api.request_stop)
    await api.serve()
