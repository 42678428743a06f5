"""Worker memory per running instance of a large plan: one version shared vs every plan distinct.

`python -m bench.plan_memory [--instances 40]`. A worker runs in this process; N instances of a
~0.9 MB plan (as its start payload) are started and wait on a user task, and the growth of the
Python heap (tracemalloc) and of the process (RSS, after `malloc_trim`) is measured once every
instance has run its first workflow task. Scenarios, each on a fresh task queue and worker:
"small" (a one-task plan: the cost of an instance itself), "shared" (one version: one plan hash,
so the worker keeps one parsed plan) and "distinct" (a version per instance: N parsed plans,
what every instance cost before plans were shared).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import os
import tempfile
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from bpmn_compiler import compile_bpmn
from shenpi.settings import Settings
from shenpi_core import search_attributes as sa
from shenpi_core.contracts import MEMO_TASKS, StartInput
from shenpi_core.process_plan import ProcessPlan

BIN_DIR = Path(__file__).resolve().parent.parent / ".venv" / "bin"
NODES = 100  # user tasks with 3,000-character CJK names: a start payload of about 0.9 MB


def large_plan(label: str, nodes: int = NODES) -> ProcessPlan:
    parts = [
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="b">'
        f'<process id="bench_large" name="{label}" isExecutable="true"><startEvent id="s"/>'
    ]
    previous = "s"
    for i in range(nodes):
        parts.append(f'<sequenceFlow id="f{i}" sourceRef="{previous}" targetRef="t{i}"/>')
        parts.append(f'<userTask id="t{i}" name="{"审" * 3000}" assignee="mona"/>')
        previous = f"t{i}"
    parts.append(f'<sequenceFlow id="fe" sourceRef="{previous}" targetRef="e"/><endEvent id="e"/>')
    parts.append("</process></definitions>")
    return compile_bpmn("".join(parts).encode()).plan


def rss_bytes() -> int:
    for line in Path(f"/proc/{os.getpid()}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise LookupError("no VmRSS")


async def _started(client: Client, queue: str, plan: ProcessPlan) -> WorkflowHandle[Any, Any]:
    attrs = [SearchAttributePair(sa.VERSION, f"{plan.process_id}:1")]
    return await client.start_workflow(
        plan.process_id,
        StartInput(plan=plan, version=1, initiator="ida"),
        id=f"mem-{uuid.uuid4().hex}",
        task_queue=queue,
        search_attributes=TypedSearchAttributes(attrs),
    )


async def _task_opened(handle: WorkflowHandle[Any, Any]) -> None:
    for _ in range(600):
        if await (await handle.describe()).memo_value(MEMO_TASKS, []):
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(handle.id)


async def scenario(client: Client, plans: list[ProcessPlan]) -> tuple[float, float]:
    """(Python heap MB, RSS MB) the worker grew by while running one instance per plan."""
    from worker import build_worker

    queue = f"bench-mem-{uuid.uuid4()}"
    settings = Settings(env="test", task_queue=queue, data_dir=Path(tempfile.mkdtemp()))
    async with build_worker(client, task_queue=queue, settings=settings):
        await _task_opened(await _started(client, queue, plans[0]))  # warm the worker up
        gc.collect()
        tracemalloc.start()
        before = rss_bytes()
        handles = [await _started(client, queue, plan) for plan in plans]
        for handle in handles:
            await _task_opened(handle)
        gc.collect()
        heap, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # freed memory is not growth
        grown = rss_bytes() - before
        for handle in handles:
            await handle.terminate()
    return heap / 1e6, grown / 1e6


async def bench(instances: int) -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN_DIR / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=sa.ALL,
    )
    try:
        shared = large_plan("one version")
        payload = len(StartInput(plan=shared, version=1, initiator="ida").model_dump_json())
        print(f"start payload {payload / 1e6:.2f} MB; {instances} instances per scenario")
        scenarios = {
            "small": [large_plan("small", nodes=1)] * instances,
            "shared": [shared] * instances,
            "distinct": [large_plan(f"version {i}") for i in range(instances)],
        }
        for name, plans in scenarios.items():
            heap, rss = await scenario(env.client, plans)
            print(f"{name:9} Python heap +{heap:7.1f} MB   RSS +{rss:7.1f} MB")
    finally:
        await env.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(bench(args.instances))


if __name__ == "__main__":
    main()
