"""`shenpi dev`: the whole stack in one process (docs/architecture.md §6).

Order matters both ways. Up: dev server → search attributes → worker + API (whose start-up migrates
the app database) → deploy the example processes → banner. Down (Ctrl-C / SIGTERM): the API stops
taking requests, the worker drains, the dev server is terminated last, so nothing in flight talks
to a dead server.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import signal
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from temporalio.client import Client

from api.main import create_app
from shenpi import devdeploy
from shenpi.auth_tokens import load_or_create_dev_secret, mint_token
from shenpi.devapi import ApiServer
from shenpi.devconsole import banner, configure_logging
from shenpi.devserver import DevServerConfig, DevServerError, TemporalDevServer, port_is_free
from shenpi.payload_codec import data_converter
from shenpi.payload_keys import load_or_create_dev_keys
from shenpi.settings import Settings
from shenpi.temporal_setup import ensure_search_attributes
from worker import run_worker

log = logging.getLogger(__name__)

DEV_USER = "alice"
DEV_USER_GROUPS = ("admin",)
DEPLOYER = "shenpi-dev"  # the principal `shenpi dev` deploys the example processes as
CODEC_PRINCIPAL = "temporal-ui"  # the principal the dev server's UI decodes payloads as


class DevStackError(RuntimeError):
    """A component could not start or died; the message says which and where its log is."""


@dataclass(frozen=True)
class DevOptions:
    data_dir: Path = Path(".shenpi")
    api_port: int = 8000
    temporal_port: int = 7233
    ui_port: int = 8233
    metrics_port: int = 9464
    deploy: bool = True
    processes_dir: Path = Path("processes")
    host: str = "127.0.0.1"
    database_url: str | None = None  # None: SHENPI_DATABASE_URL, else SQLite in the data dir


def dev_settings(opts: DevOptions) -> Settings:
    """Environment settings with the dev options on top; the secret and the payload key live in
    the data dir unless the environment names them."""
    env = Settings(env="dev", data_dir=opts.data_dir)  # reads SHENPI_* and .env
    keys_file = env.payload_keys_file
    if env.payload_encryption and env.payload_keys is None and keys_file is None:
        keys_file = load_or_create_dev_keys(opts.data_dir)
    return Settings(
        env="dev",
        data_dir=opts.data_dir,
        api_host=opts.host,
        api_port=opts.api_port,
        temporal_port=opts.temporal_port,
        temporal_ui_port=opts.ui_port,
        worker_metrics_port=opts.metrics_port,
        jwt_secret=env.jwt_secret or load_or_create_dev_secret(opts.data_dir),
        database_url=opts.database_url or env.database_url,
        payload_encryption=env.payload_encryption,
        payload_keys=env.payload_keys,
        payload_keys_file=keys_file,
        codec_cors_origins=env.codec_cors_origins,
        console_dev_sign_in=True,  # the sign-in page lists the directory's users (docs/console.md)
    )


@contextlib.contextmanager
def data_dir_lock(data_dir: Path) -> Iterator[None]:
    """One `shenpi dev` per data dir: two dev servers on one SQLite file would corrupt it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / "dev.lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DevStackError(f"another `shenpi dev` is running on {data_dir}") from None
        yield


@contextlib.asynccontextmanager
async def _stop_on_signals(stop: asyncio.Event) -> AsyncIterator[None]:
    def on_signal() -> None:
        if stop.is_set():
            # A second Ctrl-C while draining: give up at once. The kernel still stops the dev
            # server (PDEATHSIG), so nothing is left holding the ports.
            os._exit(130)
        stop.set()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    try:
        yield
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def _deploy_examples(settings: Settings, opts: DevOptions, secret: str) -> str:
    files = devdeploy.definition_files(opts.processes_dir) if opts.processes_dir.is_dir() else []
    if not opts.deploy or not files:
        return ""
    token = mint_token(DEPLOYER, [settings.admin_group], secret=secret)
    url = f"http://{opts.host}:{opts.api_port}"
    deployed: list[devdeploy.Deployed] = []
    refused: list[str] = []
    for path in files:
        # A file being edited may not compile: say so, and keep the stack (and the rest) up.
        try:
            deployed += await devdeploy.deploy_files(url, token, [path])
        except devdeploy.DeployError as err:
            details = "".join(f"\n    {d}" for d in err.details or [])
            log.error("not deployed: %s%s", err, details)
            refused.append(f"{path.name} (refused, see above)")
    for d in deployed:
        for warning in d.warnings:
            log.warning("%s: %s", d.path.name, warning)
    return ", ".join(filter(None, [devdeploy.describe(deployed), *refused]))


async def _first_failure(stop: asyncio.Event, *tasks: asyncio.Task[None]) -> None:
    """Return when asked to stop; raise if a component ends on its own before that."""
    stopper = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({stopper, *tasks}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    for task in tasks:
        if task in done:
            err = task.exception()
            raise DevStackError(f"{task.get_name()} stopped unexpectedly: {err!r}") from err


async def _start(
    stack: contextlib.AsyncExitStack, settings: Settings, opts: DevOptions
) -> tuple[list[asyncio.Task[None]], str]:
    """Bring every component up, registering its shutdown on ``stack`` as soon as it exists."""
    if settings.temporal_address is None:
        server = TemporalDevServer(
            DevServerConfig(
                db_file=opts.data_dir.resolve() / "temporal.db",
                log_file=opts.data_dir.resolve() / "logs" / "temporal.log",
                port=opts.temporal_port,
                ui_port=opts.ui_port,
                host=opts.host,
                namespace=settings.temporal_namespace,
                ui_codec_endpoint=_ui_codec_endpoint(settings, opts),
            )
        )
        await stack.enter_async_context(server)
    client = await _connect(settings)
    await ensure_search_attributes(client, settings.temporal_namespace)

    worker = asyncio.create_task(run_worker(settings), name="worker")
    stack.push_async_callback(_cancel_and_wait, worker)
    # The API's lifespan migrates the app database before it accepts requests.
    api = ApiServer(
        create_app(settings, temporal_client=client), host=opts.host, port=opts.api_port
    )
    api_task = asyncio.create_task(api.serve(), name="api")
    stack.push_async_callback(api.stop, api_task)  # LIFO: stops before the worker is drained
    await api.wait_started(api_task)
    deployed = await _deploy_examples(settings, opts, settings.jwt_secret or "")
    return [worker, api_task], deployed


async def _run_components(settings: Settings, opts: DevOptions, out: TextIO) -> None:
    stop = asyncio.Event()
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(_stop_on_signals(stop))
        # Start-up runs as a task so that Ctrl-C during a slow start still stops what is up.
        startup = asyncio.create_task(_start(stack, settings, opts))
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({startup, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if not startup.done():
            startup.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await startup
            print("Interrupted during start-up; stopping.", file=out, flush=True)
            return
        components, deployed = startup.result()  # re-raises a start-up failure
        token = mint_token(DEV_USER, list(DEV_USER_GROUPS), secret=settings.jwt_secret or "")
        text = banner(settings, opts, deployed, DEV_USER, DEV_USER_GROUPS, token)
        print(text, file=out, flush=True)
        await _first_failure(stop, *components)
        print("Stopping: API, worker, Temporal dev server ...", file=out, flush=True)


def _ui_codec_endpoint(settings: Settings, opts: DevOptions) -> str | None:
    """The API's codec server, for the dev server's UI to show payloads in clear.

    That UI has no sign-in to pass a token from, so an admin token for this run rides in the path
    (the dev route exists only under env=dev; docs/security.md)."""
    if settings.payload_key_ring() is None:
        return None
    token = mint_token(CODEC_PRINCIPAL, [settings.admin_group], secret=settings.jwt_secret or "")
    return f"http://{opts.host}:{opts.api_port}/codec/dev/{token}"


async def _connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.resolved_temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
    )


async def _cancel_and_wait(task: asyncio.Task[None]) -> None:
    # Cancelling the worker's run makes the SDK shut it down gracefully: pollers stop, in-flight
    # workflow tasks finish, activities get their graceful timeout.
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def run_dev(opts: DevOptions, out: TextIO) -> None:
    """Run the dev stack until Ctrl-C / SIGTERM. Raises DevStackError when it cannot start."""
    with data_dir_lock(opts.data_dir):
        configure_logging(opts.data_dir / "logs")
        settings = dev_settings(opts)
        for name, port in (("--port", opts.api_port), ("--metrics-port", opts.metrics_port)):
            if not port_is_free(opts.host, port):
                raise DevStackError(f"port {port} is in use; choose another with {name}")
        try:
            asyncio.run(_run_components(settings, opts, out))
        except DevServerError as err:
            raise DevStackError(str(err)) from err
