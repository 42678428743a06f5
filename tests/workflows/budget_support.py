"""The history-budget comparison: an interpreted instance against a hand-written workflow of the
same shape, both run to the end; the interpreter may use at most 1.25× the events."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.worker import Worker

from shenpi_core import search_attributes as sa
from shenpi_core.contracts import MEMO_PROCESS_ID, StartInput
from tests.helpers import assert_eventually
from tests.workflows.support import decide, event_types, history_length, open_task

BUDGET = 1.25


async def run_interpreted(
    client: Client, task_queue: str, start: StartInput
) -> WorkflowHandle[Any, Any]:
    """Started the way the API starts instances (identity attributes and memo set at start),
    its one task approved, run to the end."""
    process = start.plan
    handle = await client.start_workflow(
        process.process_id,
        start,
        id=f"budget-{uuid.uuid4().hex[:8]}",
        task_queue=task_queue,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(sa.VERSION, f"{process.process_id}:1"),
                SearchAttributePair(sa.STATUS, "running"),
                SearchAttributePair(sa.INITIATOR, start.initiator),
            ]
        ),
        memo={MEMO_PROCESS_ID: process.process_id},
    )
    await decide(handle, await open_task(handle, "approve"), "approve", "alice")
    await handle.result()
    return handle


async def run_handwritten(
    client: Client,
    task_queue: str,
    workflow: type,
    activities: Sequence[Callable[..., Any]],
    start: StartInput,
    *,
    activities_before_decision: int,
) -> WorkflowHandle[Any, Any]:
    """The hand-written workflow on its own queue: waits for its activities, approved, ended."""
    queue = f"{task_queue}-handwritten"
    async with Worker(client, task_queue=queue, workflows=[workflow], activities=activities):
        handle: WorkflowHandle[Any, Any] = await client.start_workflow(
            workflow.run,  # type: ignore[attr-defined]
            start,
            id=f"budget-hw-{uuid.uuid4().hex[:8]}",
            task_queue=queue,
        )

        async def waits_for_decision() -> None:
            types = await event_types(handle)
            done = types.count("EVENT_TYPE_ACTIVITY_TASK_COMPLETED")
            assert done == activities_before_decision
            assert types[-1] == "EVENT_TYPE_WORKFLOW_TASK_COMPLETED"

        await assert_eventually(waits_for_decision)
        await decide(handle, "approve-1", "approve", "alice")
        assert await handle.result() == "approved"
    return handle


async def assert_within_budget(
    interpreted: WorkflowHandle[Any, Any], handwritten: WorkflowHandle[Any, Any]
) -> None:
    interpreter_events = await history_length(interpreted)
    handwritten_events = await history_length(handwritten)
    print(f"history events: interpreter {interpreter_events}, hand-written {handwritten_events}")
    assert interpreter_events <= BUDGET * handwritten_events, (
        interpreter_events,
        handwritten_events,
    )
