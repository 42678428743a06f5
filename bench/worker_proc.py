"""A bench worker in its own process, so /proc tells the CPU time of one variant alone."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from activities.registry import build_registry
from bench.handwritten import HandwrittenPurchase
from bench.handwritten_scoped import HandwrittenScoped
from shenpi.payload_codec import data_converter_for
from shenpi.payload_keys import KeyRing
from shenpi.settings import Settings

# The key ring of an encrypted variant comes through the environment, not the command line.
KEYS_ENV = "SHENPI_BENCH_PAYLOAD_KEYS"


def _build(client: Client, variant: str, task_queue: str) -> Worker:
    from worker import build_worker

    # The archive activity writes to the app database: a throwaway one per bench worker.
    data_dir = Path(tempfile.mkdtemp(prefix="shenpi-bench-"))
    settings = Settings(env="test", task_queue=task_queue, data_dir=data_dir)
    if variant == "interpreter":
        return build_worker(client, task_queue=task_queue, settings=settings)
    # The baseline gets the interpreter worker's activities, so only the workflow code differs;
    # one worker serves the baselines of every shape, as the interpreter's serves every process.
    registry = build_registry(settings)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[HandwrittenPurchase, HandwrittenScoped],
        activities=registry.activities,
        activity_executor=ThreadPoolExecutor(max_workers=8) if registry.needs_executor else None,
    )


async def _main(address: str, variant: str, task_queue: str) -> None:
    keys = os.environ.get(KEYS_ENV)
    converter = data_converter_for(KeyRing.parse(keys) if keys else None)
    client = await Client.connect(address, data_converter=converter)
    worker = _build(client, variant, task_queue)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with worker:
        print("ready", flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--variant", choices=["interpreter", "handwritten"], required=True)
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args()
    asyncio.run(_main(args.address, args.variant, args.task_queue))
    # The worker has shut down; skip interpreter finalisation, which can race the SDK's native
    # threads and print a spurious fatal error into the bench output.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
