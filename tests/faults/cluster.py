"""Real processes to kill: the Temporal dev server on a SQLite file, and `shenpi worker`.

The dev server keeps its port and its database across a restart, as a real one keeps its address
and its store: clients connected before the crash reconnect to the new process. Workers are
spawned as `shenpi worker` (the production entry point) with ``SHENPI_*`` settings in their
environment, from a directory of their own so no ``.env`` leaks in.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from temporalio.client import Client

from shenpi.devserver import DevServerConfig, TemporalDevServer
from tests.helpers import BIN_DIR
from tests.ports import free_port


async def terminate(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM, then SIGKILL if it has not ended within 30 s."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        await asyncio.to_thread(proc.wait, 30)
    except subprocess.TimeoutExpired:
        proc.kill()
        await asyncio.to_thread(proc.wait)


class DevServer:
    """``temporal server start-dev`` on fixed free ports and a persistent SQLite file."""

    def __init__(self, directory: Path) -> None:
        self.config = DevServerConfig(
            db_file=directory / "temporal.db",
            log_file=directory / "temporal.log",
            port=free_port(),
            ui_port=free_port(),
        )
        self._server = TemporalDevServer(self.config, ready_timeout=90)

    @property
    def address(self) -> str:
        return self.config.address

    async def start(self) -> None:
        await self._server.start()

    async def connect(self) -> Client:
        return await self._server.connect()

    async def kill(self) -> None:
        """SIGKILL, no warning: whatever it had not written to SQLite is lost."""
        pid = self._server.pid
        assert pid is not None, "the dev server is not running"
        os.kill(pid, signal.SIGKILL)
        await self._server.stop()  # reaps the killed process

    async def stop(self) -> None:
        await self._server.stop()


@dataclass
class ShenpiProcess:
    """One `shenpi <command>` child process with ``SHENPI_*`` settings in ``env``, started from
    ``directory`` (no ``.env`` leaks in) and logging to ``<command>.log`` there."""

    command: ClassVar[str]
    directory: Path
    env: dict[str, str]
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def log_file(self) -> Path:
        return self.directory / f"{self.command}.log"

    def _spawn(self, env: dict[str, str], header: str = "") -> None:
        assert self._proc is None, "already running"
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            log.write(header.encode())
            log.flush()
            self._proc = subprocess.Popen(
                [str(BIN_DIR / "shenpi"), self.command],
                cwd=self.directory,
                env={**os.environ, **self.env, **env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    async def stop(self) -> None:
        proc, self._proc = self._proc, None
        await terminate(proc)  # SIGTERM: the worker drains (worker.py), uvicorn its requests

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class WorkerProcess(ShenpiProcess):
    """`shenpi worker`; ``start`` again after ``kill`` or ``stop`` spawns a new one with the same
    settings (and a fresh metrics port)."""

    command: ClassVar[str] = "worker"
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        metrics = {"SHENPI_WORKER_METRICS_PORT": str(free_port())}
        self._spawn(metrics, header=f"--- start {self.starts} ---\n")

    async def kill(self) -> None:
        """kill -9: no graceful shutdown, its activities' attempts stay open on the server."""
        proc, self._proc = self._proc, None
        assert proc is not None, "not running"
        proc.kill()
        await asyncio.to_thread(proc.wait)


@dataclass
class ApiProcess(ShenpiProcess):
    """`shenpi api` on a free port."""

    command: ClassVar[str] = "api"
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._spawn({"SHENPI_API_HOST": "127.0.0.1", "SHENPI_API_PORT": str(self.port)})
