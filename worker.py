"""The Shenpi worker: the interpreter workflow plus the service-task activities on one task queue.

``python worker.py`` (or ``shenpi worker``) runs one from ``SHENPI_*`` settings; ``build_worker``
is what tests and ``shenpi dev`` use against a client they already have.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker

from activities.registry import ActivityRegistry, build_registry
from shenpi.settings import Settings, get_settings
from shenpi.temporal_setup import ensure_search_attributes
from workflows.interpreter import Interpreter

log = logging.getLogger("shenpi.worker")

GRACEFUL_SHUTDOWN = timedelta(seconds=10)  # in-flight activities get this long to finish


class ShenpiWorker(Worker):
    """A worker that closes the clients of its activities once it has shut down."""

    def __init__(self, client: Client, *, registry: ActivityRegistry, **options: Any) -> None:
        super().__init__(client, **options)
        self._registry = registry

    async def run(self) -> None:
        try:
            await super().run()
        finally:
            await self._registry.aclose()


def build_worker(
    client: Client,
    *,
    task_queue: str,
    settings: Settings,
    activity_executor: Executor | None = None,
    extra_activities: Sequence[Callable[..., Any]] = (),
    **worker_options: Any,
) -> Worker:
    """The interpreter and the registry's activities (``extra_activities`` win on a name clash).

    The client must use the pydantic data converter, like every Shenpi client. ``worker_options``
    go to ``temporalio.worker.Worker`` as they are (tuning: concurrency, cache size, ...).
    """
    registry = build_registry(settings)
    for fn in extra_activities:
        defn = getattr(fn, "__temporal_activity_definition", None)
        if defn is None:
            raise ValueError(f"{fn!r} is not an @activity.defn")
        registry.by_type[defn.name] = fn
    if activity_executor is None and registry.needs_executor:
        activity_executor = ThreadPoolExecutor(max_workers=8)  # for sync (blocking) activities
    return ShenpiWorker(
        client,
        registry=registry,
        task_queue=task_queue,
        workflows=[Interpreter],
        activities=registry.activities,
        activity_executor=activity_executor,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
        **worker_options,
    )


async def run_worker(settings: Settings) -> None:
    """Connect, register the search attributes, and run until cancelled (then drain gracefully)."""
    runtime = Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(bind_address=f"0.0.0.0:{settings.worker_metrics_port}")
        )
    )
    client = await Client.connect(
        settings.resolved_temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        runtime=runtime,
    )
    await ensure_search_attributes(client, settings.temporal_namespace)
    worker = build_worker(client, task_queue=settings.task_queue, settings=settings)
    log.info(
        "worker on %s, task queue %s, metrics on :%s",
        settings.resolved_temporal_address,
        settings.task_queue,
        settings.worker_metrics_port,
    )
    async with worker:  # leaving the block (a cancel included) shuts the worker down gracefully
        await asyncio.Event().wait()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    async def until_signalled() -> None:
        task = asyncio.create_task(run_worker(get_settings()))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(until_signalled())


if __name__ == "__main__":
    main()
