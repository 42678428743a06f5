"""Throughput of the interpreter with one and with two `bench.worker_proc` worker processes on
one task queue (the unit of horizontal scaling: more workers, same queue, no coordination).

Part of `make bench`; alone: ``python -m bench.scaling [--instances N] [--rounds R]``. Rounds
alternate one and two workers, so drift on a noisy machine hits both; medians are reported.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import uuid
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from bench.driver import Variant, run_batch
from bpmn_compiler import compile_bpmn
from shenpi_core import search_attributes

HERE = Path(__file__).resolve().parent
BIN_DIR = Path(sys.executable).parent
WORKER_COUNTS = (1, 2)


async def _throughput(
    client: Client, address: str, variant: Variant, workers: int, args: argparse.Namespace
) -> float:
    from bench.run import WorkerProcess

    task_queue = f"bench-scale-{workers}-{uuid.uuid4().hex[:8]}"
    procs = [WorkerProcess(address, "interpreter", task_queue, None) for _ in range(workers)]
    try:
        await run_batch(client, variant, task_queue, args.warmup, args.concurrency)
        loaded = await run_batch(client, variant, task_queue, args.instances, args.concurrency)
    finally:
        for proc in procs:
            proc.stop()
    return loaded.throughput


async def measure_workers(
    client: Client, address: str, variant: Variant, args: argparse.Namespace
) -> dict[str, Any]:
    """instances/s by number of worker processes: every round and the median."""
    rounds: dict[int, list[float]] = {n: [] for n in WORKER_COUNTS}
    for _ in range(args.rounds):
        for workers in WORKER_COUNTS:
            rounds[workers].append(await _throughput(client, address, variant, workers, args))
    return {
        "rounds": {str(n): r for n, r in rounds.items()},
        "median": {str(n): statistics.median(r) for n, r in rounds.items()},
    }


def report(scaling: dict[str, Any]) -> str:
    median = scaling["median"]
    one = median["1"]
    lines = ["| worker processes | instances/s (median) | vs one |", "|---|---|---|"]
    lines += [f"| {n} | {tput:.1f} | {tput / one:.2f} |" for n, tput in median.items()]
    return "\n".join(lines)


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    plan = compile_bpmn((HERE / "purchase-shape.bpmn").read_bytes()).plan
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN_DIR / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL,
    )
    try:
        address = env.client.service_client.config.target_host
        variant = Variant("interpreter", plan.process_id, plan)
        return await measure_workers(env.client, address, variant, args)
    finally:
        await env.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    scaling = asyncio.run(_main(args))
    print(report(scaling))
    print(f"rounds: {scaling['rounds']}")


if __name__ == "__main__":
    main()
