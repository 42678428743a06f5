"""Priority bench (run by hand): where an urgent claim's OCR lands behind a backlog.

    .venv/bin/python -m bench.priority                    # 500 routine claims, 3 runs
    .venv/bin/python -m bench.priority --claims 200 --runs 5
    .venv/bin/python -m bench.priority --without-matcher  # the server's FIFO matcher, to compare

Each run starts ``--claims`` routine (``normal``) expense claims through the real interpreter,
each a process ``start → ocr service task → end``, with no OCR worker polling, and waits until
every claim's OCR activity is scheduled: the backlog. Then one ``urgent`` claim is started, its OCR
scheduled too, and an OCR worker with a single slot starts working through the queue. The bench
reports the urgent claim's position among the OCR tasks done (1 = first). The OCR activity is a
stand-in of the same name on the same task queue that burns ``--work-ms`` of CPU: the real one
reads a document in about a second, which would make a 500-claim backlog take minutes to drain
without changing the order Temporal hands tasks out in.
Prints a Markdown table (docs/benchmarks.md keeps the numbers of one run).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bpmn_compiler.pipeline import compile_bpmn
from shenpi.devserver import PRIORITY_ARGS
from shenpi.settings import Settings
from shenpi_core import search_attributes
from shenpi_core.contracts import ACTIVITY_OCR, OCR_QUEUE_SUFFIX, ServiceTaskInput, StartInput
from shenpi_core.process_plan import Priority, ProcessPlan
from worker import build_worker
from workflows.priority import temporal_priority

BIN_DIR = Path(sys.executable).parent
CLAIM = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:shenpi="http://shenpi.dev/schema/bpmn/1.0" targetNamespace="bench">
  <process id="bench_claim" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="read"/>
    <serviceTask id="read" name="Read the receipt" shenpi:type="ocr"/>
    <sequenceFlow id="f2" sourceRef="read" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>
"""
URGENT = "urgent-claim"


class FakeOcr:
    """Stands in for ``ocr``: burns CPU for a while and notes which claim it read, in order."""

    def __init__(self, work_seconds: float) -> None:
        self.work_seconds = work_seconds
        self.order: list[str] = []

    @activity.defn(name=ACTIVITY_OCR)
    def read(self, arg: ServiceTaskInput) -> dict[str, Any]:
        self.order.append(arg.instance_id)
        deadline = time.process_time() + self.work_seconds
        while time.process_time() < deadline:
            pass
        return {"ocr": {"fields": {}}}


async def _start(
    client: Client, plan: ProcessPlan, queue: str, instance_id: str, priority: Priority
) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        plan.process_id,
        StartInput(plan=plan, version=1, initiator="bench", priority=priority),
        id=instance_id,
        task_queue=queue,
        priority=temporal_priority(priority),
    )


async def _scheduled(handle: WorkflowHandle[Any, Any]) -> None:
    """Until the claim's OCR activity is in the queue."""
    while True:
        history = await handle.fetch_history()
        if any(
            e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED for e in history.events
        ):
            return
        await asyncio.sleep(0.2)


async def one_run(client: Client, plan: ProcessPlan, claims: int, work_seconds: float) -> int:
    queue = f"bench-priority-{uuid.uuid4()}"
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(env="test", task_queue=queue, data_dir=Path(data_dir))
        return await _backlog(client, plan, claims, work_seconds, settings)


async def _backlog(
    client: Client, plan: ProcessPlan, claims: int, work_seconds: float, settings: Settings
) -> int:
    queue, run = settings.task_queue, uuid.uuid4().hex[:8]
    async with build_worker(client, task_queue=queue, settings=settings):
        routine = [
            await _start(client, plan, queue, f"claim-{run}-{n}", "normal") for n in range(claims)
        ]
        for handle in routine:
            await _scheduled(handle)
        urgent = await _start(client, plan, queue, f"{URGENT}-{run}", "urgent")
        await _scheduled(urgent)
        ocr = FakeOcr(work_seconds)
        with ThreadPoolExecutor(max_workers=1) as pool:
            async with Worker(
                client,
                task_queue=queue + OCR_QUEUE_SUFFIX,
                activities=[ocr.read],
                activity_executor=pool,
                max_concurrent_activities=1,
            ):
                await urgent.result()
        return ocr.order.index(urgent.id) + 1


async def bench(args: argparse.Namespace) -> list[int]:
    plan = compile_bpmn(CLAIM, source="bench").plan
    extra = ["--dynamic-config-value", "matching.useNewMatcher=false"]
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN_DIR / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL,
        dev_server_extra_args=extra if args.without_matcher else list(PRIORITY_ARGS),
    )
    positions: list[int] = []
    try:
        for n in range(args.runs):
            started = time.perf_counter()
            position = await one_run(env.client, plan, args.claims, args.work_ms / 1000)
            elapsed = time.perf_counter() - started
            print(
                f"  run {n + 1}: urgent OCR done {position} of {args.claims + 1} ({elapsed:.0f} s)"
            )
            positions.append(position)
    finally:
        await env.shutdown()
    return positions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work-ms", type=float, default=20.0)
    parser.add_argument("--without-matcher", action="store_true")
    args = parser.parse_args()
    positions = asyncio.run(bench(args))
    matcher = "useNewMatcher=false (FIFO)" if args.without_matcher else "priority matcher"
    print("\n| backlog | runs | server | urgent OCR position (median) | all runs |")
    print("|---|---|---|---|---|")
    print(
        f"| {args.claims} routine claims | {args.runs} | {matcher} "
        f"| **{statistics.median(positions):g}** | {', '.join(map(str, positions))} |"
    )


if __name__ == "__main__":
    main()
