"""The Shenpi worker: the interpreter workflow plus the service-task activities on one task queue.

``python worker.py`` (or ``shenpi worker``) runs one from ``SHENPI_*`` settings; ``build_worker``
is what tests and ``shenpi dev`` use against a client they already have. Beside it runs the OCR
worker (``build_ocr_worker``): the ``ocr`` activity only, in a process pool, on the task queue
``<task_queue>-ocr``, so CPU-bound OCR never starves workflow tasks.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import timedelta
from multiprocessing.managers import SyncManager
from typing import Any

from temporalio.client import Client
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
)
from temporalio.worker import SharedStateManager, Worker

from activities.messaging import MessagingActivities
from activities.registry import ActivityRegistry, build_registry
from shenpi.extras import missing
from shenpi.logs import configure_logging
from shenpi.payload_codec import data_converter
from shenpi.settings import Settings, get_settings
from shenpi.telemetry import temporal_interceptors, tracer_provider
from shenpi.temporal_connection import connection_options
from shenpi.temporal_setup import ensure_search_attributes
from shenpi_core.contracts import OCR_QUEUE_SUFFIX
from workflows.broadcast import Broadcast
from workflows.interpreter import Interpreter
from workflows.mailbox import Mailbox

log = logging.getLogger("shenpi.worker")

GRACEFUL_SHUTDOWN = timedelta(seconds=10)  # in-flight activities get this long to finish
# The SDK holds heartbeats back for 0.8 x the heartbeat timeout (8 s of 10): too little margin
# for a busy server. Sent every 2 s, they also save notify's progress sooner (fewer resends).
HEARTBEAT_THROTTLE = timedelta(seconds=2)


class ShenpiWorker(Worker):
    """A worker that closes the clients of its activities once it has shut down."""

    def __init__(
        self,
        client: Client,
        *,
        registry: ActivityRegistry,
        messaging: MessagingActivities,
        **options: Any,
    ) -> None:
        super().__init__(client, **options)
        self._registry = registry
        self._messaging = messaging

    async def run(self) -> None:
        try:
            await super().run()
        finally:
            await self._registry.aclose()
            await self._messaging.aclose()


# Buckets that fit the values: a confidence lies in 0..1, a provider answers in seconds.
_BUCKETS: dict[str, list[float]] = {
    "shenpi_ai_confidence": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0],
    "shenpi_ai_provider_latency": [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120],
}


def prometheus_config(bind_address: str) -> PrometheusConfig:
    """The worker's Prometheus exporter, named by Prometheus's conventions: counters end in
    ``_total``, durations are seconds with the unit in the name (docs/running.md "Metrics")."""
    return PrometheusConfig(
        bind_address=bind_address,
        counters_total_suffix=True,
        unit_suffix=True,
        durations_as_seconds=True,
        histogram_bucket_overrides=_BUCKETS,
    )


def core_logging(settings: Settings) -> LoggingConfig:
    """The SDK core's own log lines (Rust): through Python's logging when lines are JSON, so
    every line the worker writes has the one format; else as the SDK prints them."""
    if settings.log_format != "json":
        return LoggingConfig.default
    forwarding = LogForwardingConfig(logger=logging.getLogger("temporalio.core"))
    return dataclasses.replace(LoggingConfig.default, forwarding=forwarding)


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
    options: dict[str, Any] = {
        "max_cached_workflows": settings.worker_max_cached_workflows,
        "max_heartbeat_throttle_interval": HEARTBEAT_THROTTLE,
        **worker_options,
    }
    messaging = MessagingActivities(client, settings, task_queue)
    return ShenpiWorker(
        client,
        registry=registry,
        task_queue=task_queue,
        workflows=[Interpreter, Mailbox, Broadcast],
        messaging=messaging,
        activities=[*registry.activities, *_shipped_messaging(messaging, registry.by_type)],
        activity_executor=activity_executor,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
        **options,
    )


def _shipped_messaging(messaging: MessagingActivities, registered: dict[str, Any]) -> list[Any]:
    """The mailbox and broadcast activities, with this worker's client (a test's own activity of
    the same name wins)."""
    shipped = [
        messaging.subscribe,
        messaging.unsubscribe,
        messaging.take_back,
        messaging.throw,
        messaging.broadcast,
    ]
    return [
        fn for fn in shipped if getattr(fn, "__temporal_activity_definition").name not in registered
    ]


class OcrWorker(Worker):
    """The OCR worker; once it has shut down, its process pool and the pool's manager stop too."""

    def __init__(
        self,
        client: Client,
        *,
        executor: ProcessPoolExecutor,
        manager: SyncManager,
        **options: Any,
    ) -> None:
        super().__init__(client, activity_executor=executor, **options)
        self._executor = executor
        self._manager = manager

    async def run(self) -> None:
        try:
            await super().run()
        finally:
            await asyncio.to_thread(self._executor.shutdown, wait=True, cancel_futures=True)
            await asyncio.to_thread(self._manager.shutdown)


def build_ocr_worker(
    client: Client,
    *,
    task_queue: str,
    settings: Settings,
    processes: int | None = None,
    **worker_options: Any,
) -> Worker:
    """The ``ocr`` activity on ``task_queue + OCR_QUEUE_SUFFIX``, run by a pool of processes.

    ``task_queue`` is the workflow task queue (the interpreter sends ``ocr`` tasks to its
    ``-ocr`` sibling). ``processes`` defaults to ``settings.ocr_processes``. A worker takes at most
    one OCR job per process, so other OCR workers pick up the rest.
    """
    processes = processes or settings.ocr_processes
    if processes < 1:
        raise ValueError("an OCR worker needs at least one process")
    try:  # the ocr extra; a worker without it serves everything else (SHENPI_OCR_PROCESSES=0)
        from activities.ocr import init_ocr_process, ocr
    except ImportError as err:
        raise missing("ocr", "OCR (SHENPI_OCR_PROCESSES > 0, or --ocr-only)", err) from err
    # Spawned, not forked: the worker's process has Temporal's runtime threads running.
    context = multiprocessing.get_context("spawn")
    manager = context.Manager()
    executor = ProcessPoolExecutor(
        max_workers=processes,
        mp_context=context,
        initializer=init_ocr_process,
        # Each process's OCR engine gets its share of the cores, so the pool never oversubscribes.
        initargs=(settings, max(1, (os.cpu_count() or 1) // processes)),
    )
    options: dict[str, Any] = {
        "max_concurrent_activities": processes,
        "graceful_shutdown_timeout": GRACEFUL_SHUTDOWN,
        "max_heartbeat_throttle_interval": HEARTBEAT_THROTTLE,
        **worker_options,
    }
    return OcrWorker(
        client,
        executor=executor,
        manager=manager,
        task_queue=task_queue + OCR_QUEUE_SUFFIX,
        activities=[ocr],
        # Heartbeats and cancellation cross the process boundary through the manager's queues.
        shared_state_manager=SharedStateManager.create_from_multiprocessing(manager),
        **options,
    )


async def run_worker(settings: Settings, *, ocr_only: bool = False) -> None:
    """Connect, register the search attributes, and run until cancelled (then drain gracefully).

    The OCR worker runs beside the main one when ``settings.ocr_processes > 0``; ``ocr_only``
    runs it alone (a dedicated OCR machine).
    """
    runtime = Runtime(
        telemetry=TelemetryConfig(
            metrics=prometheus_config(f"0.0.0.0:{settings.worker_metrics_port}"),
            logging=core_logging(settings),
        )
    )
    client = await Client.connect(
        settings.resolved_temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        runtime=runtime,
        # The workers take the client's tracing interceptor over (workflows and activities).
        interceptors=temporal_interceptors(tracer_provider(settings, "shenpi-worker")),
        **connection_options(settings),
    )
    await ensure_search_attributes(client, settings.temporal_namespace)
    async with contextlib.AsyncExitStack() as workers:
        # Leaving the block (a cancel included) shuts the workers down gracefully.
        if not ocr_only:
            worker = build_worker(client, task_queue=settings.task_queue, settings=settings)
            await workers.enter_async_context(worker)
        if ocr_only or settings.ocr_processes > 0:
            await workers.enter_async_context(
                build_ocr_worker(client, task_queue=settings.task_queue, settings=settings)
            )
        log.info(
            "worker on %s, task queue %s%s, metrics on :%s",
            settings.resolved_temporal_address,
            "" if ocr_only else settings.task_queue,
            f" (OCR: {settings.task_queue + OCR_QUEUE_SUFFIX})"
            if ocr_only or settings.ocr_processes > 0
            else "",
            settings.worker_metrics_port,
        )
        await asyncio.Event().wait()


def main(*, ocr_only: bool = False) -> None:
    configure_logging(get_settings())

    async def until_signalled() -> None:
        task = asyncio.create_task(run_worker(get_settings(), ocr_only=ocr_only))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(until_signalled())


if __name__ == "__main__":
    main()
