"""`python -m bench.countersign`: history growth of a 会签 (everyone approves) with N approvers.

One dev server, one worker (in this process: event counts do not depend on CPU). For each N an
instance of ``tests/workflows/bpmn/countersign.bpmn`` opens N tasks in one step; every approver
approves through the decide update, one after the other, as people do. Prints a Markdown table of
history events per instance and per approver, the least-squares line events = a + b·N, and the
largest deviation from it: growth is linear when that deviation is a few events at most.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from bpmn_compiler import compile_bpmn
from shenpi.settings import Settings
from shenpi_core import search_attributes
from shenpi_core.contracts import (
    QUERY_STATE,
    UPDATE_DECIDE,
    DecisionInput,
    InstanceState,
    StartInput,
    TaskView,
)
from worker import build_worker

HERE = Path(__file__).resolve().parent
BPMN = HERE.parent / "tests" / "workflows" / "bpmn" / "countersign.bpmn"
BIN_DIR = Path(sys.executable).parent
SIZES = (2, 5, 10, 20)


async def _open_tasks(handle: WorkflowHandle[Any, Any], count: int) -> list[TaskView]:
    for _ in range(400):
        current: InstanceState = await handle.query(QUERY_STATE, result_type=InstanceState)
        tasks = [t for t in current.tasks if t.status == "open"]
        if len(tasks) == count:
            return tasks
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{handle.id}: {count} tasks never opened")


async def run_one(client: Client, queue: str, size: int) -> int:
    """Events in the history of one 会签 of ``size`` approvers, all approving."""
    plan = compile_bpmn(BPMN.read_bytes(), source="countersign").plan
    signers = [f"signer{i:02d}" for i in range(size)]
    handle = await client.start_workflow(
        plan.process_id,
        StartInput(plan=plan, version=1, variables={"signers": signers}, initiator="ida"),
        id=f"countersign-{size}-{uuid.uuid4().hex[:8]}",
        task_queue=queue,
        result_type=InstanceState,
    )
    for task in await _open_tasks(handle, size):
        await handle.execute_update(
            UPDATE_DECIDE,
            DecisionInput(task_id=task.task_id, action="approve", actor=task.assignee or ""),
        )
    final = await handle.result()
    assert final.outcome == "approved", final.outcome
    return len((await handle.fetch_history()).events)


def fit(points: list[tuple[int, int]]) -> tuple[float, float, float]:
    """Least squares events = a + b·n; returns a, b and the largest absolute residual."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    b = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum(
        (x - mean_x) ** 2 for x, _ in points
    )
    a = mean_y - b * mean_x
    return a, b, max(abs(y - (a + b * x)) for x, y in points)


def report(points: list[tuple[int, int]]) -> str:
    a, b, worst = fit(points)
    lines = [
        "| approvers | history events | events per approver | added per extra approver |",
        "|---:|---:|---:|---:|",
    ]
    previous: tuple[int, int] | None = None
    for size, events in points:
        marginal = (
            "" if previous is None else f"{(events - previous[1]) / (size - previous[0]):.1f}"
        )
        lines.append(f"| {size} | {events} | {events / size:.1f} | {marginal} |")
        previous = (size, events)
    lines += [
        "",
        f"Least squares: events = {a:.1f} + {b:.2f} × approvers; largest deviation from the line "
        f"{worst:.1f} events (linear growth).",
    ]
    return "\n".join(lines)


async def main(sizes: tuple[int, ...]) -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN_DIR / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL,
    )
    queue = f"bench-countersign-{uuid.uuid4().hex[:8]}"
    settings = Settings(_env_file=None, env="test", data_dir=Path(tempfile.mkdtemp()))
    try:
        async with build_worker(env.client, task_queue=queue, settings=settings):
            points = [(size, await run_one(env.client, queue, size)) for size in sizes]
    finally:
        await env.shutdown()
    print(report(points))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    asyncio.run(main(tuple(parser.parse_args().sizes)))
