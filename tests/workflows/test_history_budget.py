"""History budget: the interpreter stays within 1.25× the events of a hand-written workflow."""

from __future__ import annotations

import uuid
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.worker import Worker

from shenpi import search_attributes as sa
from tests.helpers import assert_eventually
from tests.workflows.approval_support import fake_archive
from tests.workflows.handwritten import HandwrittenServiceTask
from tests.workflows.support import decide, event_types, history_length, open_task, plan, score
from workflows.contracts import MEMO_PROCESS_ID, StartInput


async def test_interpreter_history_is_within_budget_of_a_hand_written_workflow(
    client: Client, worker: Worker, task_queue: str
) -> None:
    process = plan("service_task")  # score (activity) → approve (user task) → end
    start = StartInput(plan=process, version=1, variables={"amount": 5}, initiator="ida")

    # Started the way the API starts instances: identity attributes and memo set at start.
    interpreted = await client.start_workflow(
        process.process_id,
        start,
        id=f"budget-{uuid.uuid4().hex[:8]}",
        task_queue=task_queue,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(sa.VERSION, f"{process.process_id}:1"),
                SearchAttributePair(sa.STATUS, "running"),
                SearchAttributePair(sa.INITIATOR, "ida"),
            ]
        ),
        memo={MEMO_PROCESS_ID: process.process_id},
    )
    await decide(interpreted, await open_task(interpreted, "approve"), "approve", "alice")
    await interpreted.result()

    queue = f"{task_queue}-handwritten"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[HandwrittenServiceTask],
        activities=[score, fake_archive],
    ):
        handwritten = await client.start_workflow(
            HandwrittenServiceTask.run,
            start,
            id=f"budget-hw-{uuid.uuid4().hex[:8]}",
            task_queue=queue,
        )
        await assert_eventually(lambda: _waits_for_decision(handwritten))
        await decide(handwritten, "approve-1", "approve", "alice")
        assert await handwritten.result() == "approved"

    interpreter_events = await history_length(interpreted)
    handwritten_events = await history_length(handwritten)
    print(f"history events: interpreter {interpreter_events}, hand-written {handwritten_events}")
    assert interpreter_events <= 1.25 * handwritten_events, (interpreter_events, handwritten_events)


async def _waits_for_decision(handle: WorkflowHandle[Any, Any]) -> None:
    types = await event_types(handle)
    assert "EVENT_TYPE_ACTIVITY_TASK_COMPLETED" in types
    assert types[-1] == "EVENT_TYPE_WORKFLOW_TASK_COMPLETED"
