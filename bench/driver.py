"""Drive instances of one variant from start through its one decision to the end, and measure."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from shenpi_core import search_attributes as sa
from shenpi_core.contracts import (
    MEMO_PROCESS_ID,
    MEMO_TASKS,
    UPDATE_DECIDE,
    DecisionInput,
    DecisionResult,
    StartInput,
)
from shenpi_core.process_plan import ProcessPlan

TASK_ID = "manager_approval-1"
POLL_DELAY = 0.05
PLAIN_VARIABLES: dict[str, Any] = {"manager": "manager-1"}


@dataclass
class Variant:
    name: str  # "interpreter" or "handwritten", "+codec" when payloads are encrypted
    workflow_type: str
    plan: ProcessPlan
    encrypted: bool = False  # worker and client encrypt every payload (shenpi/payload_codec.py)
    # The start variables: both variants of a shape get the same ones (they choose its branches).
    variables: dict[str, Any] = field(default_factory=lambda: dict(PLAIN_VARIABLES))

    @property
    def code(self) -> str:
        """Which workflow code runs: the interpreter or the hand-written baseline."""
        return self.name.removesuffix(CODEC_SUFFIX)


CODEC_SUFFIX = "+codec"


@dataclass
class RunResult:
    instances: int
    seconds: float
    decision_latencies: list[float] = field(default_factory=list)
    workflow_ids: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.instances / self.seconds


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _wait_for_open_task(handle: WorkflowHandle[Any, Any]) -> None:
    """Poll the inbox memo, as an inbox does: it costs the server, not the worker under test, and
    adds no history events (refused update attempts would)."""
    while True:
        description = await handle.describe()
        tasks = await description.memo_value(MEMO_TASKS, [])
        if any(t["task_id"] == TASK_ID for t in tasks):
            return
        await asyncio.sleep(POLL_DELAY)


async def _decide_when_open(client: Client, workflow_id: str) -> float:
    """Send the decision once the task is open; returns the update's latency."""
    handle = client.get_workflow_handle(workflow_id)
    await _wait_for_open_task(handle)
    decision = DecisionInput(task_id=TASK_ID, action="approve", actor="manager-1")
    began = time.perf_counter()
    await handle.execute_update(
        UPDATE_DECIDE, decision, id=f"{workflow_id}/decide", result_type=DecisionResult
    )
    return time.perf_counter() - began


async def one_instance(client: Client, variant: Variant, task_queue: str) -> tuple[str, float]:
    workflow_id = f"bench-{variant.name}-{uuid.uuid4().hex}"
    start = StartInput(plan=variant.plan, version=1, variables=variant.variables, initiator="bench")
    # Started as the API starts instances: identity attributes and memo set by the starter.
    attributes = TypedSearchAttributes(
        [
            SearchAttributePair(sa.VERSION, f"{variant.plan.process_id}:1"),
            SearchAttributePair(sa.STATUS, "running"),
            SearchAttributePair(sa.INITIATOR, "bench"),
            SearchAttributePair(sa.PENDING_ACTORS, []),
        ]
    )
    handle = await client.start_workflow(
        variant.workflow_type,
        start,
        id=workflow_id,
        task_queue=task_queue,
        search_attributes=attributes,
        memo={MEMO_PROCESS_ID: variant.plan.process_id},
    )
    latency = await _decide_when_open(client, workflow_id)
    await handle.result()
    return workflow_id, latency


async def run_batch(
    client: Client, variant: Variant, task_queue: str, count: int, concurrency: int
) -> RunResult:
    gate = asyncio.Semaphore(concurrency)

    async def guarded() -> tuple[str, float]:
        async with gate:
            return await one_instance(client, variant, task_queue)

    began = time.perf_counter()
    results = await asyncio.gather(*(guarded() for _ in range(count)))
    seconds = time.perf_counter() - began
    return RunResult(
        instances=count,
        seconds=seconds,
        decision_latencies=[latency for _, latency in results],
        workflow_ids=[wid for wid, _ in results],
    )


async def history_events(client: Client, workflow_ids: list[str]) -> float:
    counts: list[Any] = []
    for wid in workflow_ids:
        history = await client.get_workflow_handle(wid).fetch_history()
        counts.append(len(history.events))
    return float(statistics.median(counts))
