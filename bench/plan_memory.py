"""Worker memory per running instance of a large plan: one version shared vs every plan distinct.

`python -m bench.plan_memory [--instances 40]`. A fresh worker process per scenario starts N
instances of a ~0.9 MB plan that wait on a user task; the growth of the worker's resident memory
is measured once every instance has run its first workflow task. Scenario "shared": all instances
of one version (one plan hash: the worker keeps one plan). Baseline "distinct": each instance has
its own version (N hashes: N plans), which is what every instance cost before plans were shared.
"small": N instances of a one-task plan, the cost of an instance itself, subtracted from both.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import uuid
from pathlib import Path

from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from bpmn_compiler import compile_bpmn
from bpmn_compiler.process_plan import ProcessPlan
from shenpi import search_attributes as sa
from workflows.contracts import MEMO_TASKS, StartInput

BIN_DIR = Path(sys.executable).parent
NODES = 100  # user tasks with 3,000-character CJK names: a plan of about 0.9 MB


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


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise LookupError("no VmRSS")


async def scenario(address: str, plans: list[ProcessPlan]) -> float:
    """MB the worker grew by while running one instance per plan in ``plans``."""
    queue = f"bench-mem-{uuid.uuid4()}"
    worker = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bench.worker_proc", "--address", address),
        *("--variant", "interpreter", "--task-queue", queue),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert worker.stdout is not None and (await worker.stdout.readline()).strip() == b"ready"
        client = await Client.connect(address, data_converter=pydantic_data_converter)
        await asyncio.sleep(2)
        before = rss_bytes(worker.pid)
        handles = []
        for plan in plans:
            start = StartInput(plan=plan, version=1, initiator="ida")
            attrs = [SearchAttributePair(sa.VERSION, f"{plan.process_id}:1")]
            handles.append(
                await client.start_workflow(
                    plan.process_id,
                    start,
                    id=f"mem-{uuid.uuid4().hex}",
                    task_queue=queue,
                    search_attributes=TypedSearchAttributes(attrs),
                )
            )
        for handle in handles:  # every instance has run its first task: its plan is loaded
            for _ in range(600):
                if await (await handle.describe()).memo_value(MEMO_TASKS, []):
                    break
                await asyncio.sleep(0.2)
        await asyncio.sleep(2)
        grown = (rss_bytes(worker.pid) - before) / 1e6
        for handle in handles:
            await handle.terminate()
        return grown
    finally:
        worker.terminate()
        await asyncio.wait_for(worker.wait(), 30)


async def bench(instances: int, rounds: int) -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN_DIR / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=sa.ALL,
    )
    try:
        address = env.client.service_client.config.target_host
        shared = large_plan("one version")
        size = len(shared.model_dump_json(exclude_defaults=True)) / 1e6
        distinct = [large_plan(f"version {i}") for i in range(instances)]
        small = large_plan("small", nodes=1)
        results: dict[str, list[float]] = {"small": [], "shared": [], "distinct": []}
        for _ in range(rounds):
            results["small"].append(await scenario(address, [small] * instances))
            results["shared"].append(await scenario(address, [shared] * instances))
            results["distinct"].append(await scenario(address, distinct))
        print(f"plan: {size:.2f} MB of JSON; {instances} instances; {rounds} rounds")
        for name, values in results.items():
            print(f"{name:9} worker grew by {statistics.median(values):7.1f} MB (median), {values}")
        ratio = statistics.median(results["distinct"]) / max(
            statistics.median(results["shared"]), 1
        )
        print(f"distinct / shared: {ratio:.1f}x")
    finally:
        await env.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(bench(args.instances, args.rounds))


if __name__ == "__main__":
    main()
